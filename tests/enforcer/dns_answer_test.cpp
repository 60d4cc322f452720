// tests/enforcer/dns_answer_test.cpp — parse_answer, build_query, split_tcp_messages and strip_ech over real
// answers captured from dnsmasq (tests/enforcer/data/dns/, capture.sh) and over messages built with ldns here.
#include "enforcer/dns_answer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <random>

#include "enforcer/dns_ldns.hpp"
#include "tests/enforcer/test_data.hpp"

namespace nfegress::enforcer::dns {
namespace {

using testing::Bytes;
using testing::span_of;

Bytes real(const char* file) {
  return testing::read_file(std::filesystem::path(NFEGRESS_SOURCE_DIR) / "tests/enforcer/data/dns" / file);
}
policy::IpAddr ip(const char* s) { return *policy::parse_ip(s); }

using Pkt = detail::PktPtr;

// A message built with ldns from presentation-format records.
class Msg {
 public:
  Msg(const char* question, bool response = true) : pkt_(ldns_pkt_new()) {
    ldns_pkt_set_qr(pkt_.get(), response);
    ldns_pkt_set_rd(pkt_.get(), true);
    ldns_pkt_set_id(pkt_.get(), 0x4242);
    if (question != nullptr) push(LDNS_SECTION_QUESTION, question, true);
  }
  Msg& q(const char* rr) { return push(LDNS_SECTION_QUESTION, rr, true); }
  Msg& an(const char* rr) { return push(LDNS_SECTION_ANSWER, rr); }
  Msg& ar(const char* rr) { return push(LDNS_SECTION_ADDITIONAL, rr); }
  Msg& ns(const char* rr) { return push(LDNS_SECTION_AUTHORITY, rr); }
  Msg& rcode(std::uint8_t r) { return ldns_pkt_set_rcode(pkt_.get(), r), *this; }
  Msg& opcode(ldns_pkt_opcode o) { return ldns_pkt_set_opcode(pkt_.get(), o), *this; }
  Bytes wire() const {
    std::uint8_t* raw = nullptr;
    std::size_t n = 0;
    EXPECT_EQ(ldns_pkt2wire(&raw, pkt_.get(), &n), LDNS_STATUS_OK);
    Bytes out(raw, raw + n);
    std::free(raw);
    return out;
  }

 private:
  Msg& push(ldns_pkt_section s, const char* text, bool question = false) {
    ldns_rr* rr = nullptr;
    const ldns_status st = question ? ldns_rr_new_question_frm_str(&rr, text, nullptr, nullptr)
                                    : ldns_rr_new_frm_str(&rr, text, 0, nullptr, nullptr);
    EXPECT_EQ(st, LDNS_STATUS_OK) << text;
    EXPECT_TRUE(ldns_pkt_push_rr(pkt_.get(), s, rr)) << text;  // the packet owns rr
    return *this;
  }
  Pkt pkt_;
};

Answer ok(const Bytes& b) {
  const Parsed p = parse_answer(span_of(b));
  EXPECT_TRUE(p.error.empty()) << p.error;
  EXPECT_TRUE(p.answer.has_value());
  return p.answer.value_or(Answer{});
}
std::string err(const Bytes& b) {
  const Parsed p = parse_answer(span_of(b));
  EXPECT_FALSE(p.answer.has_value());
  return p.error;
}

TEST(DnsAnswer, RealA) {
  const Answer a = ok(real("a-allowed.bin"));
  EXPECT_EQ(a.names, std::vector<std::string>{"allowed.example"});
  EXPECT_EQ(a.addrs, std::vector{ip("203.0.113.7")});
  EXPECT_EQ(a.ttl, 300u);
  EXPECT_EQ(a.id, 0x1001);
  EXPECT_EQ(a.qtype, kTypeA);
  EXPECT_EQ(a.rcode, 0);
}

TEST(DnsAnswer, RealAaaa) {
  const Answer a = ok(real("aaaa-allowed.bin"));
  EXPECT_EQ(a.names, std::vector<std::string>{"allowed.example"});
  EXPECT_EQ(a.addrs, std::vector{ip("2001:db8::7")});
  EXPECT_EQ(a.qtype, kTypeAaaa);
}

TEST(DnsAnswer, RealSeveralAddresses) {
  const Answer a = ok(real("a-multi.bin"));
  EXPECT_EQ(a.addrs.size(), 3u);
  for (const char* s : {"203.0.113.10", "203.0.113.11", "203.0.113.12"})
    EXPECT_NE(std::find(a.addrs.begin(), a.addrs.end(), ip(s)), a.addrs.end()) << s;
}

TEST(DnsAnswer, RealCnameChain) {
  const Answer a = ok(real("a-cname-chain.bin"));
  EXPECT_EQ(a.names, (std::vector<std::string>{"alias.example", "mid.example", "target.example"}));
  EXPECT_EQ(a.addrs, std::vector{ip("203.0.113.20")});
  EXPECT_EQ(a.ttl, 120u);  // the smallest over the two CNAMEs (600) and the A record (120)
  const Answer b = ok(real("aaaa-cname-chain.bin"));  // asked as "Alias.Example": lowercased
  EXPECT_EQ(b.names.front(), "alias.example");
  EXPECT_EQ(b.addrs, std::vector{ip("2001:db8::20")});
}

TEST(DnsAnswer, RealNxdomain) {
  const Answer a = ok(real("a-nxdomain.bin"));
  EXPECT_EQ(a.rcode, 3);  // NXDOMAIN
  EXPECT_EQ(a.names, std::vector<std::string>{"nx.example"});
  EXPECT_TRUE(a.addrs.empty());
}

TEST(DnsAnswer, QueryIsNotAnAnswer) {
  EXPECT_NE(err(real("query-a-allowed.bin")).find("not a response"), std::string::npos);
  EXPECT_FALSE(err(Msg("allowed.example. IN A", false).an("allowed.example. 60 IN A 203.0.113.7").wire()).empty());
}

TEST(DnsAnswer, UnrelatedRecordsBindNothing) {
  // A resolver's answer for evil.example carries an A record for allowed.example: it binds nothing.
  const Answer a = ok(Msg("evil.example. IN A")
                          .an("allowed.example. 60 IN A 203.0.113.7")
                          .an("evil.example. 30 IN A 192.0.2.66")
                          .ar("allowed.example. 60 IN A 203.0.113.8")
                          .wire());
  EXPECT_EQ(a.names, std::vector<std::string>{"evil.example"});
  EXPECT_EQ(a.addrs, std::vector{ip("192.0.2.66")});
  EXPECT_EQ(a.ttl, 30u);
  // Additional and authority records never count, even for the question name.
  const Answer b = ok(Msg("allowed.example. IN A")
                          .ns("allowed.example. 60 IN A 192.0.2.1")
                          .ar("allowed.example. 60 IN A 192.0.2.2")
                          .wire());
  EXPECT_TRUE(b.addrs.empty());
  // A CNAME whose owner is not on the chain is not followed; an A of a name in the middle of the chain is not used.
  const Answer c = ok(Msg("www.allowed.example. IN A")
                          .an("evil.example. 60 IN CNAME allowed.example.")
                          .an("www.allowed.example. 60 IN CNAME cdn.example.")
                          .an("www.allowed.example. 60 IN A 192.0.2.3")
                          .an("cdn.example. 60 IN A 203.0.113.9")
                          .wire());
  EXPECT_EQ(c.names, (std::vector<std::string>{"www.allowed.example", "cdn.example"}));
  EXPECT_EQ(c.addrs, std::vector{ip("203.0.113.9")});
}

TEST(DnsAnswer, DuplicatesAndMixedFamilies) {
  const Answer a = ok(Msg("a.example. IN A")
                          .an("a.example. 60 IN A 203.0.113.1")
                          .an("A.EXAMPLE. 50 IN A 203.0.113.1")
                          .an("a.example. 70 IN AAAA 2001:db8::1")
                          .an("a.example. 10 IN TXT \"hello\"")
                          .wire());
  EXPECT_EQ(a.addrs, (std::vector{ip("203.0.113.1"), ip("2001:db8::1")}));
  EXPECT_EQ(a.ttl, 50u);  // the TXT record is not used
}

TEST(DnsAnswer, CnameLoopAndLongChain) {
  const Answer loop = ok(Msg("a.example. IN A")
                             .an("a.example. 60 IN CNAME b.example.")
                             .an("b.example. 60 IN CNAME a.example.")
                             .wire());
  EXPECT_EQ(loop.names, (std::vector<std::string>{"a.example", "b.example"}));
  EXPECT_TRUE(loop.addrs.empty());
  Msg long_chain("n0.example. IN A");
  std::vector<std::string> rrs;
  for (int i = 0; i < 12; ++i)
    rrs.push_back("n" + std::to_string(i) + ".example. 60 IN CNAME n" + std::to_string(i + 1) + ".example.");
  rrs.push_back("n12.example. 60 IN A 203.0.113.12");
  for (const auto& r : rrs) long_chain.an(r.c_str());
  const Answer a = ok(long_chain.wire());
  EXPECT_EQ(a.names.size(), kMaxChain);
  EXPECT_EQ(a.names.back(), "n7.example");
  EXPECT_TRUE(a.addrs.empty());  // the chain stopped before the name that owns the address
}

TEST(DnsAnswer, NotAnAnswer) {
  EXPECT_NE(err(Msg("a.example. IN A").opcode(LDNS_PACKET_STATUS).wire()).find("opcode"), std::string::npos);
  EXPECT_NE(err(Msg("a.example. CH A").wire()).find("class"), std::string::npos);
  EXPECT_NE(err(Msg(nullptr).wire()).find("0 questions"), std::string::npos);
  EXPECT_NE(err(Msg("a.example. IN A").q("b.example. IN A").wire()).find("2 questions"), std::string::npos);
  EXPECT_NE(err(Msg("\\000.example. IN A").wire()).find("not a host name"), std::string::npos);
}

TEST(DnsAnswer, TruncatedGarbageAndLoops) {
  for (const char* f : {"a-cname-chain.bin", "a-multi.bin", "https-ech.bin", "aaaa-allowed.bin"}) {
    const Bytes b = real(f);
    for (std::size_t n = 0; n < b.size(); ++n) {
      SCOPED_TRACE(std::string(f) + " cut at " + std::to_string(n));
      EXPECT_FALSE(err(Bytes(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n))).empty());
    }
  }
  // The question name is a compression pointer to itself; then one that points forward past the end.
  const Bytes self = {0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1};
  EXPECT_NE(err(self).find("malformed"), std::string::npos);
  const Bytes forward = {0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0, 1, 0, 1};
  EXPECT_NE(err(forward).find("malformed"), std::string::npos);
  // The answer's owner is a pointer to itself.
  Bytes loop = real("a-allowed.bin");
  loop[loop.size() - 16] = 0xc0;
  loop[loop.size() - 15] = static_cast<std::uint8_t>(loop.size() - 16);
  EXPECT_FALSE(err(loop).empty());
  std::mt19937 rng(17);
  for (int i = 0; i < 20000; ++i) {
    Bytes b = real("a-cname-chain.bin");
    for (int k = 0; k < 4; ++k) b[rng() % b.size()] = static_cast<std::uint8_t>(rng());
    const Parsed p = parse_answer(span_of(b));  // anything but a crash
    EXPECT_NE(p.answer.has_value(), !p.error.empty());
  }
}

TEST(DnsQuery, BuiltWithLdns) {
  const Bytes q = build_query("Allowed.Example.", kTypeAaaa, 0xbeef);
  ldns_pkt* raw = nullptr;
  ASSERT_EQ(ldns_wire2pkt(&raw, q.data(), q.size()), LDNS_STATUS_OK);
  const Pkt pkt(raw);
  EXPECT_EQ(ldns_pkt_id(pkt.get()), 0xbeef);
  EXPECT_TRUE(ldns_pkt_rd(pkt.get()));
  EXPECT_FALSE(ldns_pkt_qr(pkt.get()));
  ASSERT_EQ(ldns_rr_list_rr_count(ldns_pkt_question(pkt.get())), 1u);
  const ldns_rr* rr = ldns_rr_list_rr(ldns_pkt_question(pkt.get()), 0);
  EXPECT_EQ(ldns_rr_get_type(rr), LDNS_RR_TYPE_AAAA);
  char* owner = ldns_rdf2str(ldns_rr_owner(rr));
  EXPECT_STREQ(owner, "allowed.example.");
  std::free(owner);
  EXPECT_EQ(build_query("allowed.example", kTypeA, 0x1009), real("query-a-allowed.bin"));  // what dnsmasq was asked
  EXPECT_TRUE(build_query("bad..name", kTypeA, 1).empty());
  EXPECT_TRUE(build_query("", kTypeA, 1).empty());
  EXPECT_TRUE(build_query(std::string(300, 'a'), kTypeA, 1).empty());
}

TEST(DnsTcp, SplitsMessages) {
  const Bytes stream = real("tcp-two-answers.bin");
  bool incomplete = true;
  const auto msgs = split_tcp_messages(span_of(stream), incomplete);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_FALSE(incomplete);
  EXPECT_EQ(ok(Bytes(msgs[0].begin(), msgs[0].end())).addrs, std::vector{ip("203.0.113.7")});
  EXPECT_EQ(ok(Bytes(msgs[1].begin(), msgs[1].end())).addrs, std::vector{ip("2001:db8::20")});
  const std::size_t first_end = 2 + msgs[0].size();
  for (std::size_t n = 0; n < stream.size(); ++n) {
    const auto part = split_tcp_messages(span_of(stream).first(n), incomplete);
    EXPECT_EQ(part.size(), n >= first_end ? 1u : 0u) << n;
    EXPECT_EQ(incomplete, n != 0 && n != first_end) << n;
  }
  const Bytes empty_msg = {0, 0, 0, 1, 0xff};
  const auto e = split_tcp_messages(span_of(empty_msg), incomplete);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_TRUE(e[0].empty());
  EXPECT_EQ(e[1].size(), 1u);
  EXPECT_FALSE(incomplete);
}

// The SvcParam keys of the first HTTPS record of a message.
std::vector<std::uint16_t> svc_keys(const Bytes& msg, std::vector<std::uint16_t>* mandatory = nullptr) {
  ldns_pkt* raw = nullptr;
  EXPECT_EQ(ldns_wire2pkt(&raw, msg.data(), msg.size()), LDNS_STATUS_OK);
  const Pkt pkt(raw);
  std::vector<std::uint16_t> keys;
  if (!pkt || ldns_rr_list_rr_count(ldns_pkt_answer(pkt.get())) == 0) return keys;
  const ldns_rr* rr = ldns_rr_list_rr(ldns_pkt_answer(pkt.get()), 0);
  if (ldns_rr_rd_count(rr) < 3) return keys;
  const ldns_rdf* p = ldns_rr_rdf(rr, 2);
  const std::uint8_t* d = ldns_rdf_data(p);
  for (std::size_t i = 0; i + 4 <= ldns_rdf_size(p);) {
    const std::uint16_t key = static_cast<std::uint16_t>(d[i] << 8 | d[i + 1]);
    const std::size_t len = static_cast<std::size_t>(d[i + 2] << 8 | d[i + 3]);
    keys.push_back(key);
    if (key == kSvcParamMandatory && mandatory != nullptr)
      for (std::size_t k = 0; k + 1 < len; k += 2)
        mandatory->push_back(static_cast<std::uint16_t>(d[i + 4 + k] << 8 | d[i + 5 + k]));
    i += 4 + len;
  }
  return keys;
}

TEST(DnsStripEch, RemovesTheEchParameter) {
  const Bytes in = real("https-ech.bin");
  EXPECT_EQ(svc_keys(in), (std::vector<std::uint16_t>{1, 4, 5}));
  const auto out = strip_ech(span_of(in));
  ASSERT_TRUE(out.has_value());
  EXPECT_LE(out->size(), in.size());
  EXPECT_EQ(svc_keys(*out), (std::vector<std::uint16_t>{1, 4}));
  EXPECT_EQ(Bytes(out->begin(), out->begin() + 4), Bytes(in.begin(), in.begin() + 4));  // same id and flags
  EXPECT_FALSE(strip_ech(span_of(*out)).has_value());  // nothing left to strip

  std::vector<std::uint16_t> mandatory;
  const auto m = strip_ech(span_of(real("https-ech-mandatory.bin")));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(svc_keys(*m, &mandatory), (std::vector<std::uint16_t>{0, 1}));
  EXPECT_EQ(mandatory, std::vector<std::uint16_t>{1});  // ech left the mandatory list
}

TEST(DnsStripEch, OnlyEchAndNothingToStrip) {
  // Hand-built HTTPS records: ech only (the params go), ech mandatory only (both go), and in the additional section.
  const Bytes only = Msg("a.example. IN HTTPS").an("a.example. 60 IN HTTPS 1 . ech=AEX+DQBB").wire();
  const auto out = strip_ech(span_of(only));
  ASSERT_TRUE(out.has_value());
  EXPECT_TRUE(svc_keys(*out).empty());
  const Bytes both = Msg("a.example. IN HTTPS").an("a.example. 60 IN HTTPS 1 . mandatory=ech ech=AEX+DQBB").wire();
  ASSERT_TRUE(strip_ech(span_of(both)).has_value());
  EXPECT_TRUE(svc_keys(*strip_ech(span_of(both))).empty());
  const Bytes extra = Msg("a.example. IN A").an("a.example. 60 IN A 203.0.113.1")
                          .ar("a.example. 60 IN SVCB 1 . alpn=h2 ech=AEX+DQBB").wire();
  EXPECT_TRUE(strip_ech(span_of(extra)).has_value());
  EXPECT_FALSE(strip_ech(span_of(real("a-allowed.bin"))).has_value());
  EXPECT_FALSE(strip_ech(span_of(Msg("a.example. IN HTTPS").an("a.example. 60 IN HTTPS 1 . alpn=h2").wire())));
  EXPECT_FALSE(strip_ech(span_of(real("query-a-allowed.bin"))).has_value());
  // A params blob whose length runs past the record: not rewritten.
  Bytes bad = real("https-ech.bin");
  bad[bad.size() - 6] = 0x40;  // ech's length 4 -> 0x4004
  EXPECT_FALSE(strip_ech(span_of(bad)).has_value());
}

}  // namespace
}  // namespace nfegress::enforcer::dns
