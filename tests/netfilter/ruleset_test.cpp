// tests/netfilter/ruleset_test.cpp — the abstract ruleset: names, order, exemptions, per-network data, and a
// packet walk through the ruleset (a tiny interpreter of our own rule terms) for the verdicts the contract promises.
#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "netfilter/render.hpp"
#include "netfilter/ruleset.hpp"

namespace nfegress::netfilter {
namespace {

using policy::u128;

// Outcome of walking one packet through the ruleset.
enum class Out { Accept, Reset, Drop, Queue };

struct Packet {
  bool v6 = false;
  u128 dst = 0;
  bool tcp = true;
  std::uint16_t dport = 0;
  bool syn = false;
  bool payload = false;  // data after the TCP header
  std::uint32_t doff = 10;  // TCP header length in words
  int icmp6_type = -1;   // non-TCP IPv6: an ICMPv6 packet of this type
  std::uint32_t uid = 1000;
  bool loopback = false;
  std::uint32_t mark = 0;
  std::uint32_t ct_mark = 0;
};

std::optional<Verdict> lookup(const Set& s, u128 key) {
  for (const auto& e : s.elements)
    if (e.lo <= key && key <= e.hi) return e.verdict ? *e.verdict : Verdict{};
  return std::nullopt;
}

struct Walker {
  const Ruleset& rs;
  Packet& p;

  bool matches(const Match& m) {
    using K = Match::Kind;
    switch (m.kind) {
      case K::OifLoopback: return p.loopback;
      case K::SkUid: return p.uid == m.value;
      case K::CtMark: return (p.ct_mark & m.mask) == m.value;
      case K::MetaMark: return (p.mark & m.mask) == m.value;
      case K::L4Tcp: return p.tcp;
      case K::TcpSyn: return p.tcp && p.syn;
      case K::TcpDoff: return p.tcp && p.doff == m.value;
      case K::ThByte: return p.tcp && (m.value < 4 * p.doff || (p.payload && m.value == 4 * p.doff));
      case K::Icmp6Type: return p.v6 && !p.tcp && p.icmp6_type == static_cast<int>(m.value);
      case K::DportIn: return p.tcp && lookup(*rs.find_set(m.set), p.dport).has_value();
      case K::Daddr4In: return !p.v6 && lookup(*rs.find_set(m.set), p.dst).has_value();
      case K::Daddr6In: return p.v6 && lookup(*rs.find_set(m.set), p.dst).has_value();
    }
    return false;
  }

  // nullopt = continue with the next rule / return to the caller
  std::optional<Out> verdict(const Verdict& v) {
    if (v.kind == Verdict::Kind::Accept) return Out::Accept;
    if (v.kind == Verdict::Kind::Drop) return Out::Drop;
    return chain(*rs.find_chain(v.chain));
  }

  std::optional<Out> chain(const Chain& c) {
    for (const auto& r : c.rules) {
      bool ok = true;
      for (const auto& m : r.matches) ok = ok && matches(m);
      if (!ok) continue;
      for (const auto& a : r.actions) {
        switch (a.kind) {
          case Action::Kind::Verdict: return verdict(a.verdict);
          case Action::Kind::RejectTcpReset: return Out::Reset;
          case Action::Kind::Queue: return Out::Queue;
          case Action::Kind::CtMarkSet: p.ct_mark = (p.ct_mark & ~a.mask) | a.value; break;
          case Action::Kind::Vmap: {
            if (a.vmap_key == Action::VmapKey::Daddr4 && p.v6) break;
            if (a.vmap_key == Action::VmapKey::Daddr6 && !p.v6) break;
            if (a.vmap_key == Action::VmapKey::TcpDport && !p.tcp) break;
            u128 key = a.vmap_key == Action::VmapKey::TcpDport ? u128{p.dport} : p.dst;
            if (a.key_prefix != 0 && a.vmap_key != Action::VmapKey::TcpDport)
              key &= prefix_mask(p.v6 ? KeyType::Ipv6 : KeyType::Ipv4, a.key_prefix);
            if (auto v = lookup(*rs.find_set(a.set), key)) return verdict(*v);
            break;
          }
        }
      }
    }
    return std::nullopt;
  }
};

Out walk(const Ruleset& rs, Packet p) {
  Walker w{rs, p};
  auto o = w.chain(*rs.find_chain("output"));
  return o ? *o : Out::Accept;  // policy accept
}

Packet tcp4(const char* dst, std::uint16_t port) { return Packet{false, testing::v4(dst), true, port}; }
Packet tcp6(const char* dst, std::uint16_t port) { return Packet{true, testing::v6(dst), true, port}; }

TEST(Ruleset, NamesAndOrderAreStable) {
  const auto rs = build_ruleset(testing::small_plan(), QueueImpl::Compat);
  std::vector<std::string> sets, chains;
  for (const auto& s : rs.sets) sets.push_back(s.name);
  for (const auto& c : rs.chains) chains.push_back(c.name);
  EXPECT_EQ(sets, (std::vector<std::string>{"ignore_ports", "ignore4", "ignore6", "dst4", "dst6", "ports_0",
                                             "ports_1"}));
  EXPECT_EQ(chains, (std::vector<std::string>{"deny", "inspect", "en_0", "en_1", "output"}));
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
  syn.syn = true;
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
    EXPECT_EQ(walk(rs, nd), Out::Accept) << t;
  }
  nd.icmp6_type = 128;  // echo request: ordinary non-TCP traffic
  EXPECT_EQ(walk(rs, nd), Out::Drop);
  auto udp = tcp4("203.0.113.10", 53);
  udp.tcp = false;
  EXPECT_EQ(walk(rs, udp), Out::Drop);
  udp.dst = testing::v4("203.0.113.200");
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
  p.uid = 2103;
  EXPECT_EQ(walk(rs, p), Out::Accept);
  p = tcp4("203.0.113.10", 80);
  p.loopback = true;
  EXPECT_EQ(walk(rs, p), Out::Accept);
  EXPECT_EQ(walk(rs, tcp4("203.0.113.10", 22)), Out::Accept);  // --ignore-ports
  auto ign = tcp4("192.0.2.7", 80);                             // --ignore-cidrs (not captured anyway)
  EXPECT_EQ(walk(rs, ign), Out::Accept);
}

TEST(Ruleset, MarksFollowTheContract) {
  const auto plan = testing::small_plan();
  const auto rs = build_ruleset(plan, QueueImpl::Compat);
  const auto& k = plan.kernel;
  auto p = tcp4("203.0.113.10", 443);
  p.mark = k.mark_allow();  // enforcer: NF_REPEAT with ALLOW
  Walker w{rs, p};
  EXPECT_EQ(w.chain(*rs.find_chain("output")), Out::Accept);
  EXPECT_EQ(p.ct_mark & k.mark_mask(), k.mark_allow());
  auto next = tcp4("203.0.113.10", 443);  // a later packet of the same flow
  next.ct_mark = p.ct_mark;
  EXPECT_EQ(walk(rs, next), Out::Accept);

  auto d = tcp4("203.0.113.10", 443);
  d.mark = k.mark_deny();
  d.ct_mark = 0x1;  // foreign bits are kept
  Walker wd{rs, d};
  EXPECT_EQ(wd.chain(*rs.find_chain("output")), Out::Reset);
  EXPECT_EQ(d.ct_mark, k.mark_deny() | 0x1);
  auto pass = tcp4("203.0.113.10", 443);
  pass.mark = k.mark_pass();
  EXPECT_EQ(walk(rs, pass), Out::Accept);
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
