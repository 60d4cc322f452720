// tests/netfilter/ruleset_test.cpp — the abstract ruleset: names, order, exemptions, per-network data, and packets
// walked through it (ruleset_eval.hpp, the evaluator the random packet walk uses too) for the verdicts the
// contract promises.
#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "netfilter/render.hpp"
#include "netfilter/ruleset.hpp"
#include "ruleset_eval.hpp"

namespace nfegress::netfilter {
namespace {

using policy::u128;
using testing::Packet;
using Out = testing::Outcome;

// One packet through the ruleset with the shared evaluator (ruleset_eval.hpp); `p` gets the ct mark it leaves.
Out walk(const Ruleset& rs, Packet& p) {
  const auto w = testing::walk(rs, p);
  EXPECT_TRUE(w.ok()) << w.path.back();
  p.ct_mark = w.ct_mark;
  return w.outcome;
}
Out walk(const Ruleset& rs, Packet&& p) { return walk(rs, p); }

Packet tcp(policy::Family f, u128 dst, std::uint16_t port) {
  Packet p;
  p.family = f;
  p.daddr = dst;
  p.dport = port;
  p.skuid = 1000;  // an application, not the enforcer
  return p;
}
Packet tcp4(const char* dst, std::uint16_t port) { return tcp(policy::Family::V4, testing::v4(dst), port); }
Packet tcp6(const char* dst, std::uint16_t port) { return tcp(policy::Family::V6, testing::v6(dst), port); }

TEST(Ruleset, NamesAndOrderAreStable) {
  const auto rs = build_ruleset(testing::small_plan(), QueueImpl::Compat);
  std::vector<std::string> sets, chains;
  for (const auto& s : rs.sets) sets.push_back(s.name);
  for (const auto& c : rs.chains) chains.push_back(c.name);
  EXPECT_EQ(sets, (std::vector<std::string>{"ignore_ports", "ignore4", "ignore6", "dst4", "dst6", "ports_0",
                                             "ports_1"}));
  EXPECT_EQ(chains, (std::vector<std::string>{"deny", "inspect", "en_0", "en_1", "output", "forward"}));
  EXPECT_EQ(rs.find_chain("en_0")->network, "egress/deny");
  EXPECT_EQ(build_ruleset(testing::small_plan(), QueueImpl::Compat), rs);
}

// Every kernel nf_tables runs on must take the table: no inner-header payload base (@ih, Linux >= 5.16 only), so
// the SYN-with-data rules load the transport header at each possible header length instead.
TEST(Ruleset, UsesOnlyPayloadBasesEveryKernelHas) {
  const auto rs = build_ruleset(testing::small_plan(), QueueImpl::Compat);
  const std::string text = render_text(rs);
  EXPECT_EQ(text.find("@ih"), std::string::npos);
  EXPECT_NE(text.find("tcp doff 5 @th,160,8 >= 0"), std::string::npos) << text;
  EXPECT_NE(text.find("tcp doff 15 @th,480,8 >= 0"), std::string::npos);
}

TEST(Ruleset, PacketWalk) {
  const auto rs = build_ruleset(testing::small_plan(), QueueImpl::Compat);
  EXPECT_EQ(walk(rs, tcp4("203.0.113.10", 80)), Out::Reset);    // Deny network, port denied
  EXPECT_EQ(walk(rs, tcp4("203.0.113.10", 8080)), Out::Reset);  // Deny network, no route
  EXPECT_EQ(walk(rs, tcp4("203.0.113.10", 5432)), Out::Accept); // TCPRoute
  auto syn = tcp4("203.0.113.10", 443);
  syn.syn_only = true;
  EXPECT_EQ(walk(rs, syn), Out::Accept);                         // handshake not delayed
  syn.payload = true;
  EXPECT_EQ(walk(rs, syn), Out::Queue);                          // TCP Fast Open: data in the SYN is held
  for (std::uint32_t doff : {5u, 6u, 15u}) {                     // whatever the length of the SYN's options
    syn.doff = doff;
    syn.payload = true;
    EXPECT_EQ(walk(rs, syn), Out::Queue) << "doff " << doff;
    syn.payload = false;
    EXPECT_EQ(walk(rs, syn), Out::Accept) << "doff " << doff;
  }
  EXPECT_EQ(walk(rs, tcp4("203.0.113.10", 443)), Out::Queue);   // data: to the enforcer
  EXPECT_EQ(walk(rs, tcp4("203.0.113.200", 8080)), Out::Accept); // Allow network
  EXPECT_EQ(walk(rs, tcp4("198.51.100.1", 80)), Out::Accept);   // not captured
  EXPECT_EQ(walk(rs, tcp6("2001:db8:ff::10", 8080)), Out::Reset);
  EXPECT_EQ(walk(rs, tcp6("2001:db8:fe::10", 8080)), Out::Accept);
  auto nd = tcp6("2001:db8:ff::10", 0);  // neighbour discovery into a Deny network passes, like ARP
  nd.tcp = false;
  EXPECT_EQ(walk(rs, nd), Out::Drop);
  for (int t : {133, 135, 136}) {
    nd.icmp6_type = t;
    nd.ip6_length = t == 133 ? 16 : 32;
    EXPECT_EQ(walk(rs, nd), Out::Accept) << t;
  }
  nd.icmp6_type = 128;  // echo request: ordinary non-TCP traffic
  EXPECT_EQ(walk(rs, nd), Out::Drop);
  auto udp = tcp4("203.0.113.10", 53);
  udp.tcp = false;
  EXPECT_EQ(walk(rs, udp), Out::Drop);
  udp.daddr = testing::v4("203.0.113.200");
  EXPECT_EQ(walk(rs, udp), Out::Accept);
}

TEST(Ruleset, DensePrefixLengthsGetAHashMap) {
  auto plan = testing::many_prefixes(kHashMapMin);
  // plus a few IPv6 ranges that are no /64 (a /56 and a three-address range): they stay in the interval map
  plan.v6.push_back({testing::v6("2001:db8:ff00::"), testing::v6("2001:db8:ff00:ff:ffff:ffff:ffff:ffff"), 0});
  plan.v6.push_back({testing::v6("2001:db8:ff01::1"), testing::v6("2001:db8:ff01::3"), 1});
  const auto rs = build_ruleset(plan, QueueImpl::Compat);
  const Set* h = rs.find_set("dst6_64");
  ASSERT_NE(h, nullptr);
  EXPECT_FALSE(h->interval);
  EXPECT_EQ(h->elements.size(), kHashMapMin);
  EXPECT_EQ(h->size, 2 * kHashMapMin);
  EXPECT_EQ(h->elements[1].lo, testing::v6("2001:db8:0:2::"));
  EXPECT_EQ(h->elements[1].hi, h->elements[1].lo);  // one key: the masked address
  EXPECT_EQ(rs.find_set("dst6")->elements.size(), 2u);
  EXPECT_EQ(rs.find_set("dst4")->elements.size(), 2u);  // small_plan's IPv4: below the threshold
  EXPECT_EQ(rs.find_set("dst4_25"), nullptr);
  const std::string text = render_text(rs);
  EXPECT_NE(text.find("ip6 daddr & ffff:ffff:ffff:ffff:: vmap @dst6_64"), std::string::npos);
  EXPECT_NE(text.find("\t\tsize 2048\n"), std::string::npos);

  EXPECT_EQ(walk(rs, tcp6("2001:db8::1", 5432)), Out::Accept);               // network 0, TCPRoute port
  EXPECT_EQ(walk(rs, tcp6("2001:db8::1", 80)), Out::Reset);                  // network 0, denied port
  EXPECT_EQ(walk(rs, tcp6("2001:db8:0:2:ffff::9", 80)), Out::Accept);        // network 1 (Allow)
  EXPECT_EQ(walk(rs, tcp6("2001:db8:0:1::1", 80)), Out::Accept);             // the gap between two: uncaptured
  EXPECT_EQ(walk(rs, tcp6("2001:db8:0:7fc:1::", 443)), Out::Queue);          // next to last /64: network 0, TLS
  EXPECT_EQ(walk(rs, tcp6("2001:db8:0:7fe:1::", 443)), Out::Accept);         // the last /64: network 1 (Allow)
  EXPECT_EQ(walk(rs, tcp6("2001:db8:0:800::", 80)), Out::Accept);            // one past the last: uncaptured
  EXPECT_EQ(walk(rs, tcp6("2001:db8:ff00:ff::1", 80)), Out::Reset);          // the /56, interval map
  EXPECT_EQ(walk(rs, tcp6("2001:db8:ff01::2", 8080)), Out::Accept);          // the range, network 1
  EXPECT_EQ(walk(rs, tcp6("2001:db8:ff01::4", 8080)), Out::Accept);          // past the range: uncaptured

  // one element fewer than the threshold: everything stays in the interval map
  plan.v6.erase(plan.v6.begin());
  const auto small = build_ruleset(plan, QueueImpl::Compat);
  EXPECT_EQ(small.find_set("dst6_64"), nullptr);
  EXPECT_EQ(small.find_set("dst6")->elements.size(), kHashMapMin + 1);
}

TEST(Ruleset, Exemptions) {
  const auto rs = build_ruleset(testing::small_plan(), QueueImpl::Compat);
  auto p = tcp4("203.0.113.10", 80);
  p = tcp4("203.0.113.10", 80);
  p.oif_lo = true;
  EXPECT_EQ(walk(rs, p), Out::Accept);
  EXPECT_EQ(walk(rs, tcp4("203.0.113.10", 22)), Out::Accept);  // --ignore-ports
  auto ign = tcp4("192.0.2.7", 80);                             // --ignore-cidrs (not captured anyway)
  EXPECT_EQ(walk(rs, ign), Out::Accept);
}

// No UID is exempt unless --exempt-uid says so: 2103 (the old default) is an application like any other.
TEST(Ruleset, NoUidExemptionByDefault) {
  auto plan = testing::small_plan();
  const auto rs = build_ruleset(plan, QueueImpl::Compat);
  auto p = tcp4("203.0.113.10", 80);
  for (std::uint32_t uid : {0u, 2102u, 2103u}) {
    p.skuid = uid;
    EXPECT_EQ(walk(rs, p), Out::Reset) << uid;
  }
  EXPECT_EQ(render_text(rs).find("skuid"), std::string::npos);
  plan.kernel.exempt_uid = 4242;  // opt-in
  const auto opted = build_ruleset(plan, QueueImpl::Compat);
  p.skuid = 4242;
  EXPECT_EQ(walk(opted, p), Out::Accept);
  p.skuid = 2103;
  EXPECT_EQ(walk(opted, p), Out::Reset);
}

// Conntrack reuses an entry in CLOSE for a new SYN of the same 5-tuple, mark included: the SYN clears nfegress's
// bits (only those), so the new connection's first flight is inspected, not accepted by "flow decided: allow".
TEST(Ruleset, SynClearsAnOldDecision) {
  const auto plan = testing::small_plan();
  const auto rs = build_ruleset(plan, QueueImpl::Compat);
  const auto& k = plan.kernel;
  for (std::uint32_t old : {k.mark_allow(), k.mark_deny()}) {
    auto syn = tcp4("203.0.113.10", 443);
    syn.syn_only = true;
    syn.ct_mark = old | 0x1;  // a foreign bit stays
    EXPECT_EQ(walk(rs, syn), Out::Accept);  // the handshake is not delayed
    EXPECT_EQ(syn.ct_mark, 0x1u);
    auto first = tcp4("203.0.113.10", 443);  // the reopened connection's ClientHello
    first.ct_mark = syn.ct_mark;
    EXPECT_EQ(walk(rs, first), Out::Queue) << "old mark " << old;
    auto tfo = tcp4("203.0.113.10", 443);  // data in the SYN: held too
    tfo.syn_only = tfo.payload = true;
    tfo.ct_mark = old;
    EXPECT_EQ(walk(rs, tfo), Out::Queue);
  }
  // A SYN-ACK or any other segment keeps the decision: only a SYN starts a connection.
  auto later = tcp4("203.0.113.10", 443);
  later.ct_mark = k.mark_allow();
  EXPECT_EQ(walk(rs, later), Out::Accept);
  EXPECT_EQ(later.ct_mark, k.mark_allow());
}

// Neighbour discovery passes only as neighbour discovery: types 133/135/136, code 0, hop limit 255, and no more
// IPv6 payload than the message needs (RS 16 bytes, NS/NA 32). Anything else takes the policy (here: a Deny
// network, non-TCP: drop).
TEST(Ruleset, NeighbourDiscoveryOnlyAsNeighbourDiscovery) {
  const auto rs = build_ruleset(testing::small_plan(), QueueImpl::Compat);
  auto nd = tcp6("2001:db8:ff::10", 0);
  nd.tcp = false;
  struct Case {
    int type;
    std::uint32_t code, hoplimit, length;
    Out want;
  };
  for (const auto& c : std::vector<Case>{{135, 0, 255, 32, Out::Accept}, {136, 0, 255, 32, Out::Accept},
                                         {135, 0, 255, 24, Out::Accept}, {133, 0, 255, 16, Out::Accept},
                                         {133, 0, 255, 8, Out::Accept},
                                         {135, 0, 255, 33, Out::Drop},    // a byte of payload more
                                         {135, 0, 255, 1400, Out::Drop},  // a solicitation carrying data
                                         {136, 0, 255, 40, Out::Drop},
                                         {133, 0, 255, 17, Out::Drop},
                                         {133, 0, 255, 32, Out::Drop},
                                         {135, 0, 64, 32, Out::Drop},     // could have been routed
                                         {136, 0, 254, 32, Out::Drop},
                                         {135, 1, 255, 32, Out::Drop},    // not code 0
                                         {134, 0, 255, 16, Out::Drop},    // a router advert: a host sends none
                                         {137, 0, 255, 32, Out::Drop}}) {  // redirect
    nd.icmp6_type = c.type;
    nd.icmp6_code = c.code;
    nd.hoplimit = c.hoplimit;
    nd.ip6_length = c.length;
    EXPECT_EQ(walk(rs, nd), c.want) << "type " << c.type << " code " << c.code << " hop limit " << c.hoplimit
                                    << " length " << c.length;
  }
  const std::string text = render_text(rs);
  EXPECT_NE(text.find("icmpv6 type nd-neighbor-solicit icmpv6 code no-route ip6 hoplimit 255 ip6 length <= 32 "
                      "accept"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("icmpv6 type nd-router-solicit icmpv6 code no-route ip6 hoplimit 255 ip6 length <= 16 accept"),
            std::string::npos);
}

// With forwarding on, a frame a packet socket writes to lo is received and forwarded: the forward chain drops
// whatever comes in on lo, and only that.
TEST(Ruleset, ForwardedFromLoopbackIsDropped) {
  const auto rs = build_ruleset(testing::small_plan(), QueueImpl::Compat);
  const Chain* f = rs.find_chain("forward");
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(f->base);
  EXPECT_EQ(f->hook, Chain::Hook::Forward);
  for (const char* dst : {"203.0.113.10", "203.0.113.200", "198.51.100.1"}) {
    auto p = tcp4(dst, 443);
    p.forwarded = p.iif_lo = true;
    const auto w = testing::walk(rs, p);
    EXPECT_EQ(w.outcome, Out::Drop) << dst;
    EXPECT_EQ(w.path, std::vector<std::string>{"forward"});
    p.iif_lo = false;  // a router's own forwarding (other interfaces) is not nfegress's business
    EXPECT_EQ(walk(rs, p), Out::Accept) << dst;
  }
  EXPECT_NE(render_text(rs).find("type filter hook forward priority filter; policy accept;\n\t\tiif \"lo\" counter "
                                 "drop comment"),
            std::string::npos);
}

TEST(Ruleset, MarksFollowTheContract) {
  const auto plan = testing::small_plan();
  const auto rs = build_ruleset(plan, QueueImpl::Compat);
  const auto& k = plan.kernel;
  // A packet mark grants nothing: anyone with CAP_NET_RAW can set one (SO_MARK). The enforcer sets the
  // conntrack mark ALLOW itself (ctnetlink); a packet that carries it is decided.
  for (std::uint32_t forged : {k.mark_allow(), k.mark_pass()}) {
    auto p = tcp4("203.0.113.10", 443);
    p.mark = forged;
    EXPECT_EQ(walk(rs, p), Out::Queue) << forged;
    EXPECT_EQ(p.ct_mark, 0u);
  }
  auto next = tcp4("203.0.113.10", 443);  // a later packet of a flow the enforcer allowed
  next.ct_mark = k.mark_allow();
  EXPECT_EQ(walk(rs, next), Out::Accept);

  auto d = tcp4("203.0.113.10", 443);
  d.mark = k.mark_deny();
  d.ct_mark = 0x1;  // foreign bits are kept
  EXPECT_EQ(walk(rs, d), Out::Reset);
  EXPECT_EQ(d.ct_mark, k.mark_deny() | 0x1);
  auto decided = tcp4("203.0.113.10", 443);
  decided.ct_mark = k.mark_deny();
  EXPECT_EQ(walk(rs, decided), Out::Reset);
}

TEST(Ruleset, AdjacentRangesOfOneNetworkMerge) {
  auto plan = testing::small_plan();
  plan.v4[1].network = 0;
  const auto els = address_elements(plan, policy::Family::V4);
  ASSERT_EQ(els.size(), 1u);
  EXPECT_EQ(els[0].lo, testing::v4("203.0.113.0"));
  EXPECT_EQ(els[0].hi, testing::v4("203.0.113.255"));
}

TEST(Ruleset, IgnoreCidrsMergeOverlaps) {
  auto plan = testing::small_plan();
  plan.kernel.ignore_cidrs = {*policy::parse_prefix("192.0.2.0/24"), *policy::parse_prefix("192.0.2.128/25"),
                              *policy::parse_prefix("192.0.3.0/24")};
  const auto rs = build_ruleset(plan, QueueImpl::Compat);
  const auto& s = *rs.find_set("ignore4");
  ASSERT_EQ(s.elements.size(), 1u);
  EXPECT_EQ(s.elements[0].hi, testing::v4("192.0.3.255"));
}

}  // namespace
}  // namespace nfegress::netfilter
