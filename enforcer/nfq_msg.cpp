// enforcer/nfq_msg.cpp — layer: pure codec. See nfq_msg.hpp. Uses libmnl only as a buffer/attribute helper.
#include "enforcer/nfq_msg.hpp"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <sys/socket.h>

#include <array>
#include <cstring>

namespace nfegress::enforcer::nfq {
namespace {

// Large enough for any message we build (the biggest, params, is well under 128 bytes).
constexpr std::size_t kBuild = 256;

nlmsghdr* start(std::array<std::uint8_t, kBuild>& buf, std::uint16_t type, std::uint16_t queue, std::uint32_t seq,
                bool ack) {
  buf.fill(0);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = static_cast<std::uint16_t>((NFNL_SUBSYS_QUEUE << 8) | type);
  nlh->nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | (ack ? NLM_F_ACK : 0));
  nlh->nlmsg_seq = seq;
  auto* nfg = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  nfg->nfgen_family = AF_UNSPEC;
  nfg->version = NFNETLINK_V0;
  nfg->res_id = htons(queue);
  return nlh;
}

void finish(std::vector<std::uint8_t>& out, const nlmsghdr* nlh) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(nlh);
  out.insert(out.end(), p, p + nlh->nlmsg_len);
}

void append_cmd(std::vector<std::uint8_t>& out, std::uint16_t queue, std::uint8_t cmd, std::uint32_t seq) {
  std::array<std::uint8_t, kBuild> buf;
  nlmsghdr* nlh = start(buf, NFQNL_MSG_CONFIG, queue, seq, true);
  nfqnl_msg_config_cmd c{};
  c.command = cmd;
  c.pf = htons(AF_UNSPEC);
  mnl_attr_put(nlh, NFQA_CFG_CMD, sizeof(c), &c);
  finish(out, nlh);
}

std::uint32_t be32(const nlattr* a) { return ntohl(mnl_attr_get_u32(a)); }

}  // namespace

void append_bind(std::vector<std::uint8_t>& out, std::uint16_t queue, std::uint32_t seq) {
  append_cmd(out, queue, NFQNL_CFG_CMD_BIND, seq);
}

void append_unbind(std::vector<std::uint8_t>& out, std::uint16_t queue, std::uint32_t seq) {
  append_cmd(out, queue, NFQNL_CFG_CMD_UNBIND, seq);
}

void append_params(std::vector<std::uint8_t>& out, const QueueConfig& cfg, std::uint32_t seq) {
  std::array<std::uint8_t, kBuild> buf;
  nlmsghdr* nlh = start(buf, NFQNL_MSG_CONFIG, cfg.queue, seq, true);
  nfqnl_msg_config_params params{};
  params.copy_range = htonl(cfg.copy_range);
  params.copy_mode = NFQNL_COPY_PACKET;
  mnl_attr_put(nlh, NFQA_CFG_PARAMS, sizeof(params), &params);
  mnl_attr_put_u32(nlh, NFQA_CFG_QUEUE_MAXLEN, htonl(cfg.maxlen));
  // Every flag we have an opinion on is in the mask, so a restart never inherits a stale FAIL_OPEN.
  const std::uint32_t mask = NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO | NFQA_CFG_F_CONNTRACK;
  const std::uint32_t flags = (cfg.fail_open ? NFQA_CFG_F_FAIL_OPEN : 0u) | (cfg.gso ? NFQA_CFG_F_GSO : 0u) |
                              (cfg.conntrack ? NFQA_CFG_F_CONNTRACK : 0u);
  mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
  mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(mask));
  finish(out, nlh);
}

void append_verdict(std::vector<std::uint8_t>& out, std::uint16_t queue, std::uint32_t id, Verdict v,
                    std::optional<std::uint32_t> mark, std::uint32_t seq, std::span<const std::uint8_t> payload) {
  std::array<std::uint8_t, kBuild> buf;
  nlmsghdr* nlh = start(buf, NFQNL_MSG_VERDICT, queue, seq, false);
  nfqnl_msg_verdict_hdr vh{};
  vh.verdict = htonl(static_cast<std::uint32_t>(v));
  vh.id = htonl(id);
  mnl_attr_put(nlh, NFQA_VERDICT_HDR, sizeof(vh), &vh);
  if (mark) mnl_attr_put_u32(nlh, NFQA_MARK, htonl(*mark));
  if (payload.empty() || payload.size() > 0xffff - MNL_ATTR_HDRLEN) return finish(out, nlh);
  // The payload attribute goes after the fixed part, straight into `out` (a packet is up to 64 KB).
  const std::size_t at = out.size();
  finish(out, nlh);
  nlattr a{};
  a.nla_len = static_cast<std::uint16_t>(MNL_ATTR_HDRLEN + payload.size());
  a.nla_type = NFQA_PAYLOAD;
  const auto* ap = reinterpret_cast<const std::uint8_t*>(&a);
  out.insert(out.end(), ap, ap + sizeof a);
  out.insert(out.end(), payload.begin(), payload.end());
  out.resize(out.size() + (MNL_ALIGN(payload.size()) - payload.size()), 0);
  const auto len = static_cast<std::uint32_t>(out.size() - at);
  std::memcpy(out.data() + at, &len, sizeof len);  // nlmsg_len is the header's first field
}

namespace {

Message parse_packet(const nlmsghdr* nlh) {
  Message m;
  m.kind = Message::Kind::Packet;
  m.seq = nlh->nlmsg_seq;
  if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(nfgenmsg))) {
    m.kind = Message::Kind::Malformed;
    m.what = "packet message shorter than nfgenmsg";
    return m;
  }
  const auto* nfg = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
  m.packet.queue = ntohs(nfg->res_id);
  bool have_hdr = false;
  bool have_cap = false;
  const auto* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh));
  for (const auto* attr = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, sizeof(nfgenmsg)));
       mnl_attr_ok(attr, static_cast<int>(tail - reinterpret_cast<const char*>(attr))); attr = mnl_attr_next(attr)) {
    const auto type = mnl_attr_get_type(attr);
    const auto len = mnl_attr_get_payload_len(attr);
    switch (type) {
      case NFQA_PACKET_HDR: {
        if (len < sizeof(nfqnl_msg_packet_hdr)) break;
        nfqnl_msg_packet_hdr ph;
        std::memcpy(&ph, mnl_attr_get_payload(attr), sizeof(ph));
        m.packet.id = ntohl(ph.packet_id);
        m.packet.hw_protocol = ntohs(ph.hw_protocol);
        m.packet.hook = ph.hook;
        have_hdr = true;
        break;
      }
      case NFQA_MARK:
        if (len >= 4) m.packet.mark = be32(attr);
        break;
      case NFQA_UID:
        if (len >= 4) m.packet.uid = be32(attr);
        break;
      case NFQA_SKB_INFO:
        if (len >= 4) m.packet.skb_info = be32(attr);
        break;
      case NFQA_CAP_LEN:
        if (len >= 4) {
          m.packet.cap_len = be32(attr);
          have_cap = true;
        }
        break;
      case NFQA_PAYLOAD:
        m.packet.payload = {static_cast<const std::uint8_t*>(mnl_attr_get_payload(attr)), len};
        break;
      default:
        break;
    }
  }
  // The walk stops at the first attribute that does not fit; that is fine (bounds kept), but a
  // message without a packet header cannot be answered.
  if (!have_hdr) {
    m.kind = Message::Kind::Malformed;
    m.what = "packet message without NFQA_PACKET_HDR";
    return m;
  }
  if (have_cap && m.packet.cap_len > m.packet.payload.size()) m.packet.truncated = true;
  if (!have_cap) m.packet.cap_len = static_cast<std::uint32_t>(m.packet.payload.size());
  return m;
}

}  // namespace

std::vector<Message> parse_datagram(std::span<const std::uint8_t> buf) {
  std::vector<Message> out;
  parse_datagram(buf, out);
  return out;
}

void parse_datagram(std::span<const std::uint8_t> buf, std::vector<Message>& out) {
  out.clear();
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(buf.data());
  int left = static_cast<int>(buf.size());
  while (mnl_nlmsg_ok(nlh, left)) {
    if (nlh->nlmsg_type == NLMSG_ERROR) {
      Message m;
      m.seq = nlh->nlmsg_seq;
      if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(nlmsgerr))) {
        m.kind = Message::Kind::Malformed;
        m.what = "truncated NLMSG_ERROR";
      } else {
        const auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
        m.error = -e->error;
        m.kind = e->error == 0 ? Message::Kind::Ack : Message::Kind::Error;
      }
      out.push_back(std::move(m));
    } else if (nlh->nlmsg_type == ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET)) {
      out.push_back(parse_packet(nlh));
    } else {
      Message m;
      m.seq = nlh->nlmsg_seq;
      out.push_back(std::move(m));
    }
    nlh = mnl_nlmsg_next(nlh, &left);
  }
  if (out.empty() && !buf.empty()) {
    Message m;
    m.kind = Message::Kind::Malformed;
    m.what = "datagram holds no complete netlink message";
    out.push_back(std::move(m));
  }
}

}  // namespace nfegress::enforcer::nfq
