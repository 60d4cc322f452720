// tests/enforcer/nfq_msg_test.cpp — NFQUEUE codec: build config/verdict messages, parse them back with libmnl;
// decode hand-built packet messages the way the kernel lays them out.
#include "enforcer/nfq_msg.hpp"
#include "kernel_packet.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include <cstring>
#include <map>

namespace nfq = nfegress::enforcer::nfq;
using nfegress::test::kernel_packet;

namespace {

// Attributes of the first message in `buf`, by type.
std::map<int, std::vector<std::uint8_t>> attrs_of(const std::vector<std::uint8_t>& buf, const nlmsghdr** out) {
  std::map<int, std::vector<std::uint8_t>> m;
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(buf.data());
  *out = nlh;
  const auto* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh));
  for (const auto* a = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, sizeof(nfgenmsg)));
       mnl_attr_ok(a, static_cast<int>(tail - reinterpret_cast<const char*>(a))); a = mnl_attr_next(a)) {
    const auto* p = static_cast<const std::uint8_t*>(mnl_attr_get_payload(a));
    m[mnl_attr_get_type(a)] = {p, p + mnl_attr_get_payload_len(a)};
  }
  return m;
}

std::uint32_t be32_of(const std::vector<std::uint8_t>& v) {
  std::uint32_t x = 0;
  std::memcpy(&x, v.data(), 4);
  return ntohl(x);
}

TEST(NfqMsg, VerdictWithMark) {
  std::vector<std::uint8_t> buf;
  nfq::append_verdict(buf, 100, 77, nfq::Verdict::Repeat, 0x00200000u, 9);
  const nlmsghdr* nlh = nullptr;
  auto a = attrs_of(buf, &nlh);
  EXPECT_EQ(nlh->nlmsg_len, buf.size());
  EXPECT_EQ(nlh->nlmsg_type, (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_VERDICT);
  EXPECT_EQ(nlh->nlmsg_seq, 9u);
  const auto* nfg = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
  EXPECT_EQ(ntohs(nfg->res_id), 100);
  ASSERT_EQ(a.count(NFQA_VERDICT_HDR), 1u);
  nfqnl_msg_verdict_hdr vh;
  std::memcpy(&vh, a[NFQA_VERDICT_HDR].data(), sizeof(vh));
  EXPECT_EQ(ntohl(vh.verdict), 4u);  // NF_REPEAT
  EXPECT_EQ(ntohl(vh.id), 77u);
  ASSERT_EQ(a.count(NFQA_MARK), 1u);
  EXPECT_EQ(be32_of(a[NFQA_MARK]), 0x00200000u);
}

TEST(NfqMsg, VerdictWithoutMarkAndConcatenation) {
  std::vector<std::uint8_t> buf;
  nfq::append_verdict(buf, 1, 5, nfq::Verdict::Accept, std::nullopt, 1);
  const auto first = buf.size();
  nfq::append_verdict(buf, 1, 6, nfq::Verdict::Drop, std::nullopt, 2);
  EXPECT_EQ(buf.size(), 2 * first);
  const nlmsghdr* nlh = nullptr;
  auto a = attrs_of(buf, &nlh);
  EXPECT_EQ(a.count(NFQA_MARK), 0u);
  int left = static_cast<int>(buf.size());
  int n = 0;
  for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) ++n;
  EXPECT_EQ(n, 2);
}

TEST(NfqMsg, ParamsSetCopyRangeMaxlenFlagsAndMask) {
  std::vector<std::uint8_t> buf;
  nfq::QueueConfig cfg;
  cfg.queue = 3;
  cfg.maxlen = 2048;
  cfg.fail_open = true;
  nfq::append_params(buf, cfg, 1);
  const nlmsghdr* nlh = nullptr;
  auto a = attrs_of(buf, &nlh);
  EXPECT_TRUE(nlh->nlmsg_flags & NLM_F_ACK);
  EXPECT_EQ(nlh->nlmsg_type, (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_CONFIG);
  nfqnl_msg_config_params p;
  ASSERT_EQ(a[NFQA_CFG_PARAMS].size(), sizeof(p));
  std::memcpy(&p, a[NFQA_CFG_PARAMS].data(), sizeof(p));
  EXPECT_EQ(ntohl(p.copy_range), 0xffffu);
  EXPECT_EQ(p.copy_mode, NFQNL_COPY_PACKET);
  EXPECT_EQ(be32_of(a[NFQA_CFG_QUEUE_MAXLEN]), 2048u);
  EXPECT_EQ(be32_of(a[NFQA_CFG_FLAGS]), unsigned(NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO));
  EXPECT_EQ(be32_of(a[NFQA_CFG_MASK]), unsigned(NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO | NFQA_CFG_F_CONNTRACK));
}

TEST(NfqMsg, FailClosedByDefaultStillMasksFailOpen) {
  std::vector<std::uint8_t> buf;
  nfq::append_params(buf, nfq::QueueConfig{}, 1);
  const nlmsghdr* nlh = nullptr;
  auto a = attrs_of(buf, &nlh);
  EXPECT_EQ(be32_of(a[NFQA_CFG_FLAGS]) & NFQA_CFG_F_FAIL_OPEN, 0u);
  EXPECT_NE(be32_of(a[NFQA_CFG_MASK]) & NFQA_CFG_F_FAIL_OPEN, 0u);
}

TEST(NfqMsg, BindCommand) {
  std::vector<std::uint8_t> buf;
  nfq::append_bind(buf, 42, 7);
  const nlmsghdr* nlh = nullptr;
  auto a = attrs_of(buf, &nlh);
  nfqnl_msg_config_cmd c;
  ASSERT_EQ(a[NFQA_CFG_CMD].size(), sizeof(c));
  std::memcpy(&c, a[NFQA_CFG_CMD].data(), sizeof(c));
  EXPECT_EQ(c.command, NFQNL_CFG_CMD_BIND);
  EXPECT_EQ(ntohs(static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh))->res_id), 42);
}

TEST(NfqMsg, ParsesPacketMessages) {
  std::vector<std::uint8_t> dgram = kernel_packet(100, 12, {0x45, 1, 2, 3}, 0x10u, std::nullopt);
  const auto second = kernel_packet(100, 13, std::vector<std::uint8_t>(3000, 0xab), std::nullopt, 9000u);
  dgram.insert(dgram.end(), second.begin(), second.end());
  auto msgs = nfq::parse_datagram(dgram);
  ASSERT_EQ(msgs.size(), 2u);
  ASSERT_EQ(msgs[0].kind, nfq::Message::Kind::Packet);
  EXPECT_EQ(msgs[0].packet.queue, 100);
  EXPECT_EQ(msgs[0].packet.id, 12u);
  EXPECT_EQ(msgs[0].packet.hw_protocol, 0x0800);
  EXPECT_EQ(msgs[0].packet.hook, 3);
  EXPECT_EQ(msgs[0].packet.mark, 0x10u);
  EXPECT_EQ(msgs[0].packet.payload.size(), 4u);
  EXPECT_EQ(msgs[0].packet.payload[0], 0x45);
  EXPECT_FALSE(msgs[0].packet.truncated);
  EXPECT_EQ(msgs[0].packet.skb_info, unsigned(NFQA_SKB_GSO));
  ASSERT_EQ(msgs[1].kind, nfq::Message::Kind::Packet);
  EXPECT_EQ(msgs[1].packet.id, 13u);
  EXPECT_FALSE(msgs[1].packet.mark.has_value());
  EXPECT_EQ(msgs[1].packet.payload.size(), 3000u);
  EXPECT_TRUE(msgs[1].packet.truncated);
  EXPECT_EQ(msgs[1].packet.cap_len, 9000u);
}

TEST(NfqMsg, ParsesAcksAndErrors) {
  std::vector<std::uint8_t> buf(64, 0);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = NLMSG_ERROR;
  nlh->nlmsg_seq = 5;
  auto* e = static_cast<nlmsgerr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nlmsgerr)));
  e->error = -1;  // EPERM
  buf.resize(nlh->nlmsg_len);
  auto msgs = nfq::parse_datagram(buf);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].kind, nfq::Message::Kind::Error);
  EXPECT_EQ(msgs[0].error, 1);
  EXPECT_EQ(msgs[0].seq, 5u);
  e->error = 0;
  msgs = nfq::parse_datagram(buf);
  EXPECT_EQ(msgs[0].kind, nfq::Message::Kind::Ack);
}

TEST(NfqMsg, TruncatedInputNeverReadsPastTheEnd) {
  const auto full = kernel_packet(1, 2, std::vector<std::uint8_t>(100, 1), std::nullopt, std::nullopt);
  for (std::size_t n = 0; n < full.size(); ++n) {
    std::vector<std::uint8_t> part(full.begin(), full.begin() + static_cast<long>(n));
    auto msgs = nfq::parse_datagram(part);
    if (n == 0) {
      EXPECT_TRUE(msgs.empty());
      continue;
    }
    ASSERT_EQ(msgs.size(), 1u) << n;
    EXPECT_EQ(msgs[0].kind, nfq::Message::Kind::Malformed) << n;
  }
}

TEST(NfqMsg, PacketWithoutHeaderIsMalformed) {
  std::vector<std::uint8_t> buf(64, 0);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET;
  mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg));
  buf.resize(nlh->nlmsg_len);
  auto msgs = nfq::parse_datagram(buf);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].kind, nfq::Message::Kind::Malformed);
}

}  // namespace
