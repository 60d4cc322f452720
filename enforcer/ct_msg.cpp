// enforcer/ct_msg.cpp — layer: pure codec. See ct_msg.hpp. libmnl as a buffer/attribute helper only.
#include "enforcer/ct_msg.hpp"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstring>

namespace nfegress::enforcer::ct {
namespace {

constexpr std::size_t kBuild = 256;  // a set-mark message with two IPv6 addresses is ~120 bytes

nlmsghdr* start(std::array<std::uint8_t, kBuild>& buf, std::uint16_t type, std::uint16_t flags, policy::Family f,
                std::uint32_t seq) {
  buf.fill(0);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = static_cast<std::uint16_t>((NFNL_SUBSYS_CTNETLINK << 8) | type);
  nlh->nlmsg_flags = flags;
  nlh->nlmsg_seq = seq;
  auto* nfg = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  nfg->nfgen_family = f == policy::Family::V6 ? AF_INET6 : AF_INET;
  nfg->version = NFNETLINK_V0;
  nfg->res_id = 0;
  return nlh;
}

void put_addr(nlmsghdr* nlh, std::uint16_t v4, std::uint16_t v6, const policy::IpAddr& a) {
  if (a.family == policy::Family::V4) {
    mnl_attr_put_u32(nlh, v4, htonl(static_cast<std::uint32_t>(a.value)));
    return;
  }
  std::array<std::uint8_t, 16> b{};
  for (int i = 0; i < 16; ++i) b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(a.value >> (8 * (15 - i)));
  mnl_attr_put(nlh, v6, b.size(), b.data());
}

void put_tuple(nlmsghdr* nlh, const TcpTuple& t) {
  nlattr* tuple = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
  nlattr* ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
  put_addr(nlh, CTA_IP_V4_SRC, CTA_IP_V6_SRC, t.src);
  put_addr(nlh, CTA_IP_V4_DST, CTA_IP_V6_DST, t.dst);
  mnl_attr_nest_end(nlh, ip);
  nlattr* proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
  mnl_attr_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_TCP);
  mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(t.sport));
  mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(t.dport));
  mnl_attr_nest_end(nlh, proto);
  mnl_attr_nest_end(nlh, tuple);
}

void finish(std::vector<std::uint8_t>& out, const nlmsghdr* nlh) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(nlh);
  out.insert(out.end(), p, p + nlh->nlmsg_len);
}

// Collects the attributes of one nest level, bounds-checked by libmnl.
struct Attrs {
  std::array<const nlattr*, 32> a{};
};
int collect(const nlattr* attr, void* data) {
  const auto type = mnl_attr_get_type(attr);
  if (type < 32) static_cast<Attrs*>(data)->a[type] = attr;
  return MNL_CB_OK;
}
bool nested(const nlattr* a, Attrs& out) { return a && mnl_attr_parse_nested(a, collect, &out) == MNL_CB_OK; }

bool get_addr(const Attrs& ip, std::uint16_t v4, std::uint16_t v6, policy::IpAddr& out) {
  if (ip.a[v4] && mnl_attr_get_payload_len(ip.a[v4]) == 4) {
    out = {policy::Family::V4, ntohl(mnl_attr_get_u32(ip.a[v4]))};
    return true;
  }
  if (ip.a[v6] && mnl_attr_get_payload_len(ip.a[v6]) == 16) {
    const auto* b = static_cast<const std::uint8_t*>(mnl_attr_get_payload(ip.a[v6]));
    policy::u128 v = 0;
    for (int i = 0; i < 16; ++i) v = (v << 8) | b[i];
    out = {policy::Family::V6, v};
    return true;
  }
  return false;
}

}  // namespace

void append_set_mark(std::vector<std::uint8_t>& out, const TcpTuple& t, std::uint32_t mask, std::uint32_t value,
                     std::uint32_t seq) {
  std::array<std::uint8_t, kBuild> buf;
  nlmsghdr* nlh = start(buf, IPCTNL_MSG_CT_NEW, NLM_F_REQUEST, t.src.family, seq);
  put_tuple(nlh, t);
  mnl_attr_put_u32(nlh, CTA_MARK, htonl(value));
  mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(mask));
  finish(out, nlh);
}

void append_probe(std::vector<std::uint8_t>& out, std::uint32_t seq) {
  std::array<std::uint8_t, kBuild> buf;
  nlmsghdr* nlh = start(buf, IPCTNL_MSG_CT_GET, NLM_F_REQUEST | NLM_F_ACK, policy::Family::V4, seq);
  // 0.0.0.0:0 -> 0.0.0.0:0 never has a conntrack entry.
  put_tuple(nlh, TcpTuple{});
  finish(out, nlh);
}

bool decode_set_mark(std::span<const std::uint8_t> msg, Decoded& out) {
  if (msg.size() < sizeof(nlmsghdr) + sizeof(nfgenmsg)) return false;
  nlmsghdr hdr;
  std::memcpy(&hdr, msg.data(), sizeof hdr);
  if (hdr.nlmsg_len > msg.size() || hdr.nlmsg_len < sizeof(nlmsghdr) + sizeof(nfgenmsg)) return false;
  if (hdr.nlmsg_type != ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW)) return false;
  alignas(nlmsghdr) std::array<std::uint8_t, kBuild> copy{};
  if (hdr.nlmsg_len > copy.size()) return false;
  std::memcpy(copy.data(), msg.data(), hdr.nlmsg_len);
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(copy.data());
  Attrs top;
  if (mnl_attr_parse(nlh, sizeof(nfgenmsg), collect, &top) != MNL_CB_OK) return false;
  Attrs tuple, ip, proto;
  if (!nested(top.a[CTA_TUPLE_ORIG], tuple) || !nested(tuple.a[CTA_TUPLE_IP], ip) ||
      !nested(tuple.a[CTA_TUPLE_PROTO], proto))
    return false;
  if (!get_addr(ip, CTA_IP_V4_SRC, CTA_IP_V6_SRC, out.tuple.src) ||
      !get_addr(ip, CTA_IP_V4_DST, CTA_IP_V6_DST, out.tuple.dst))
    return false;
  if (!proto.a[CTA_PROTO_NUM] || mnl_attr_get_u8(proto.a[CTA_PROTO_NUM]) != IPPROTO_TCP ||
      !proto.a[CTA_PROTO_SRC_PORT] || !proto.a[CTA_PROTO_DST_PORT] || !top.a[CTA_MARK] || !top.a[CTA_MARK_MASK])
    return false;
  out.tuple.sport = ntohs(mnl_attr_get_u16(proto.a[CTA_PROTO_SRC_PORT]));
  out.tuple.dport = ntohs(mnl_attr_get_u16(proto.a[CTA_PROTO_DST_PORT]));
  out.value = ntohl(mnl_attr_get_u32(top.a[CTA_MARK]));
  out.mask = ntohl(mnl_attr_get_u32(top.a[CTA_MARK_MASK]));
  out.flags = nlh->nlmsg_flags;
  return true;
}

}  // namespace nfegress::enforcer::ct
