// tests/enforcer/dns_queue_test.cpp — the DNS answer queue's packet handler (enforcer/dns_queue.hpp): real dnsmasq
// answers (tests/enforcer/data/dns/) wrapped in the IPv4/IPv6 UDP datagrams the input hook queues. Every packet is
// accepted, whatever it holds; answers are learned before the verdict; --strip-ech sends a rewritten datagram whose
// lengths and checksums a receiver accepts, and leaves an answer without ech untouched.
#include <gtest/gtest.h>

#include <netinet/in.h>

#include "enforcer/dns_answer.hpp"
#include "enforcer/dns_queue.hpp"
#include "enforcer/packet.hpp"
#include "tests/enforcer/flow_builder.hpp"
#include "tests/enforcer/test_data.hpp"

namespace nfegress::enforcer {
namespace {

using testing::Bytes;
using V = nfq::Verdict;

Bytes real(const char* file) {
  return testing::read_file(std::filesystem::path(NFEGRESS_SOURCE_DIR) / "tests/enforcer/data/dns" / file);
}

std::uint16_t csum(const Bytes& b, std::size_t from, std::size_t to, std::uint64_t acc = 0) {
  for (std::size_t i = from; i < to; i += 2) acc += (std::uint32_t{b[i]} << 8) | (i + 1 < to ? b[i + 1] : 0);
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<std::uint16_t>(acc);
}

// A datagram from the resolver (192.0.2.53:53 or [2001:db8:53::53]:53) to the pod, carrying `dns`.
Bytes datagram(const Bytes& dns, bool v6 = false) {
  const std::size_t ip = v6 ? 40 : 20, udp_len = 8 + dns.size();
  Bytes b(ip + udp_len, 0);
  if (v6) {
    b[0] = 0x60;
    b[4] = static_cast<std::uint8_t>(udp_len >> 8), b[5] = static_cast<std::uint8_t>(udp_len);
    b[6] = IPPROTO_UDP, b[7] = 64;
    b[8] = 0x20, b[9] = 0x01, b[10] = 0x0d, b[11] = 0xb8, b[13] = 0x53, b[23] = 0x53;  // 2001:db8:53::53
    b[24] = 0x20, b[25] = 0x01, b[26] = 0x0d, b[27] = 0xb8, b[29] = 0x01, b[39] = 0x01;  // 2001:db8:1::1
  } else {
    b[0] = 0x45;
    b[2] = static_cast<std::uint8_t>(b.size() >> 8), b[3] = static_cast<std::uint8_t>(b.size());
    b[8] = 64, b[9] = IPPROTO_UDP;
    b[12] = 192, b[13] = 0, b[14] = 2, b[15] = 53;
    b[16] = 192, b[17] = 0, b[18] = 2, b[19] = 1;
  }
  b[ip] = 0, b[ip + 1] = 53, b[ip + 2] = 0x9c, b[ip + 3] = 0x40;
  b[ip + 4] = static_cast<std::uint8_t>(udp_len >> 8), b[ip + 5] = static_cast<std::uint8_t>(udp_len);
  std::copy(dns.begin(), dns.end(), b.begin() + static_cast<std::ptrdiff_t>(ip + 8));
  return b;
}

// What a receiving stack checks: the UDP checksum over the pseudo-header verifies, lengths agree.
bool receiver_accepts(const Bytes& b) {
  const bool v6 = (b[0] >> 4) == 6;
  const std::size_t ip = v6 ? 40 : 20;
  const std::size_t udp_len = (std::size_t{b[ip + 4]} << 8) | b[ip + 5];
  if (ip + udp_len != b.size()) return false;
  if (!v6 && (((std::size_t{b[2]} << 8) | b[3]) != b.size() || csum(b, 0, 20) != 0xffff)) return false;
  if (v6 && (((std::size_t{b[4]} << 8) | b[5]) != udp_len)) return false;
  std::uint64_t pseudo = csum(b, v6 ? 8 : 12, v6 ? 40 : 20);
  pseudo += IPPROTO_UDP + udp_len;
  return csum(b, ip, b.size(), pseudo) == 0xffff;
}

class DnsQueueTest : public ::testing::Test {
 protected:
  Counters c;
  NameBindings bindings;
  std::vector<VerdictOut> out;
  Clock::time_point now = Clock::time_point{} + std::chrono::seconds(1000);
  Bytes pkt;
  VerdictOut handle(Bytes b, bool strip = false) {
    pkt = std::move(b);
    out.clear();
    on_dns_packet(QueuedPacket{101, 7, 0, false, testing::span_of(pkt)}, bindings, c, now, out, strip);
    EXPECT_EQ(out.size(), 1u);
    return out.empty() ? VerdictOut{} : out[0];
  }
};

TEST_F(DnsQueueTest, AnAnswerIsLearnedBeforeItIsAccepted) {
  const auto v = handle(datagram(real("a-allowed.bin")));
  EXPECT_EQ(v.verdict, V::Accept);
  EXPECT_EQ(v.id, 7u);
  EXPECT_TRUE(v.payload.empty());  // as it came
  EXPECT_EQ(c.dns_answers_learned, 1u);
  EXPECT_EQ(bindings.names(), 1u);
  EXPECT_GE(c.bindings_names, 1u);
}

// Issue 19: the runtime passes what was learned on to every queue worker's copy of the bindings.
TEST_F(DnsQueueTest, LearnedAnswersAreHandedOutForTheWorkers) {
  std::vector<dns::Answer> learned;
  auto b = datagram(real("a-allowed.bin"));
  on_dns_packet(QueuedPacket{101, 8, 0, false, testing::span_of(b)}, bindings, c, now, out, false, &learned);
  ASSERT_EQ(learned.size(), 1u);
  NameBindings copy;
  copy.learn(learned[0], now);
  EXPECT_EQ(copy.names(), bindings.names());
  EXPECT_EQ(copy.save(now, {}), bindings.save(now, {}));  // the same bindings
  auto garbage = datagram({0x12, 0x34});
  on_dns_packet(QueuedPacket{101, 9, 0, false, testing::span_of(garbage)}, bindings, c, now, out, false, &learned);
  EXPECT_EQ(learned.size(), 1u);  // nothing learned, nothing handed out
}

TEST_F(DnsQueueTest, IPv6DatagramsAndCnameChainsAreLearned) {
  handle(datagram(real("a-cname-chain.bin"), true));
  EXPECT_EQ(c.dns_answers_learned, 1u);
  EXPECT_GE(bindings.names(), 2u);  // the question name and the CNAME target
}

TEST_F(DnsQueueTest, GarbageAndNonAnswersAreAcceptedAndCounted) {
  EXPECT_EQ(handle(datagram(Bytes{1, 2, 3})).verdict, V::Accept);
  EXPECT_EQ(handle(datagram(real("query-a-allowed.bin"))).verdict, V::Accept);
  EXPECT_EQ(handle(Bytes{0x45, 0, 0}).verdict, V::Accept);  // not even an IP header
  EXPECT_EQ(c.dns_answers_malformed, 3u);
  EXPECT_EQ(bindings.names(), 0u);
}

TEST_F(DnsQueueTest, NxdomainBindsNothingButIsAnAnswer) {
  handle(datagram(real("a-nxdomain.bin")));
  EXPECT_EQ(c.dns_answers, 1u);
  EXPECT_EQ(c.dns_answers_learned, 0u);
  EXPECT_EQ(c.dns_answers_malformed, 0u);
  EXPECT_EQ(c.dns_answers_no_address, 1u);
}

TEST_F(DnsQueueTest, StripEchRewritesTheDatagramSoAReceiverAcceptsIt) {
  for (bool v6 : {false, true}) {
    const Bytes in = datagram(real("https-ech.bin"), v6);
    const auto v = handle(in, true);
    ASSERT_FALSE(v.payload.empty()) << "v6=" << v6;
    EXPECT_LT(v.payload.size(), in.size());
    EXPECT_TRUE(receiver_accepts(v.payload)) << "v6=" << v6;
    Packet p;
    ASSERT_EQ(decode_packet(v.payload, p), DecodeStatus::Ok);
    EXPECT_FALSE(dns::strip_ech(p.payload).has_value());  // nothing left to strip
    EXPECT_TRUE(dns::parse_answer(p.payload).answer.has_value());
  }
  EXPECT_EQ(c.dns_ech_stripped, 2u);
}

TEST_F(DnsQueueTest, StripEchLeavesOtherAnswersAndIsOffByDefault) {
  EXPECT_TRUE(handle(datagram(real("a-allowed.bin")), true).payload.empty());
  EXPECT_TRUE(handle(datagram(real("https-ech.bin")), false).payload.empty());
  EXPECT_EQ(c.dns_ech_stripped, 0u);
}

TEST_F(DnsQueueTest, TcpSegmentsHoldingWholeMessagesAreLearned) {
  // dnsmasq's TCP stream of two answers (2-byte length before each), in one segment from the resolver.
  const Bytes stream = real("tcp-two-answers.bin");
  const auto v = handle(test::tcp("192.0.2.53", 53, "192.0.2.1", 40000).seq(1).ack(1).payload(stream).bytes());
  EXPECT_EQ(v.verdict, V::Accept);
  EXPECT_EQ(c.dns_answers, 2u);
  EXPECT_EQ(c.dns_answers_learned, 2u);
  EXPECT_GE(bindings.names(), 1u);
  // The same stream cut in the middle of the second message: the first is learned, the rest counted unlearned.
  handle(test::tcp("192.0.2.53", 53, "192.0.2.1", 40001).seq(1).ack(1)
             .payload(Bytes(stream.begin(), stream.end() - 5)).bytes());
  EXPECT_EQ(c.dns_answers_learned, 3u);
  EXPECT_EQ(c.dns_answers_unlearned, 1u);
}

TEST_F(DnsQueueTest, TheReceiverCheckRejectsAWrongChecksum) {  // so the check above can fail
  Bytes b = datagram(real("a-allowed.bin"));
  EXPECT_FALSE(receiver_accepts(b));  // checksum field still 0
}

}  // namespace
}  // namespace nfegress::enforcer
