// tests/enforcer/ct_msg_test.cpp — the ctnetlink message that allows a flow: built, then read back attribute by
// attribute (libmnl), for IPv4 and IPv6; the start-up probe asks for an ACK.
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <sys/socket.h>

#include <cstring>

#include "enforcer/ct_msg.hpp"
#include "policy/ip.hpp"

namespace nfegress::enforcer::ct {
namespace {

TcpTuple tuple(const char* src, std::uint16_t sport, const char* dst, std::uint16_t dport) {
  return {*policy::parse_ip(src), *policy::parse_ip(dst), sport, dport};
}

TEST(CtMsg, SetMarkIsAnUpdateOfTheOriginalTupleWithMaskNoCreateNoAck) {
  for (const auto& t : {tuple("192.0.2.1", 40000, "203.0.113.10", 443),
                        tuple("2001:db8:1::1", 51234, "2001:db8:ff::10", 8443)}) {
    std::vector<std::uint8_t> buf;
    append_set_mark(buf, t, 0x00300000, 0x00100000, 0x80000007);
    nlmsghdr hdr;
    std::memcpy(&hdr, buf.data(), sizeof hdr);
    EXPECT_EQ(hdr.nlmsg_len, buf.size());
    EXPECT_EQ(hdr.nlmsg_type, (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW);
    EXPECT_EQ(hdr.nlmsg_flags, NLM_F_REQUEST) << "no NLM_F_CREATE: never creates an entry; no ACK on success";
    EXPECT_EQ(hdr.nlmsg_seq, 0x80000007u);
    nfgenmsg nfg;
    std::memcpy(&nfg, buf.data() + sizeof hdr, sizeof nfg);
    EXPECT_EQ(nfg.nfgen_family, t.src.family == policy::Family::V4 ? AF_INET : AF_INET6);
    Decoded d;
    ASSERT_TRUE(decode_set_mark(buf, d));
    EXPECT_EQ(d.tuple.src, t.src);
    EXPECT_EQ(d.tuple.dst, t.dst);
    EXPECT_EQ(d.tuple.sport, t.sport);
    EXPECT_EQ(d.tuple.dport, t.dport);
    EXPECT_EQ(d.mask, 0x00300000u);
    EXPECT_EQ(d.value, 0x00100000u);
  }
}

TEST(CtMsg, DecodeRefusesTruncatedAndForeignMessages) {
  std::vector<std::uint8_t> buf;
  append_set_mark(buf, tuple("192.0.2.1", 1, "192.0.2.2", 2), 3, 1, 1);
  Decoded d;
  for (std::size_t cut = 0; cut < buf.size(); ++cut)
    EXPECT_FALSE(decode_set_mark(std::span(buf.data(), cut), d)) << cut;
  std::vector<std::uint8_t> probe;
  append_probe(probe, 9);
  EXPECT_FALSE(decode_set_mark(probe, d)) << "a GET is not a set-mark";
}

TEST(CtMsg, ProbeIsAGetThatAsksForAnAck) {
  std::vector<std::uint8_t> buf;
  append_probe(buf, 42);
  nlmsghdr hdr;
  std::memcpy(&hdr, buf.data(), sizeof hdr);
  EXPECT_EQ(hdr.nlmsg_type, (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET);
  EXPECT_EQ(hdr.nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
  EXPECT_EQ(hdr.nlmsg_seq, 42u);
}

}  // namespace
}  // namespace nfegress::enforcer::ct
