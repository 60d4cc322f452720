// tests/netfilter/packet_walk_test.cpp — the exported ruleset implements the plan: for seeded random policies
// (networks, excepts, routes of every kind, opaque ports, --allow-udp, --ignore-*) and random packets, walking
// the packet through build_ruleset()'s objects (ruleset_eval.hpp) gives what Matcher::decide_l4 decided.
#include <gtest/gtest.h>

#include <map>

#include "netfilter/ruleset.hpp"
#include "policy/compile.hpp"
#include "policy/match.hpp"
#include "ruleset_eval.hpp"
#include "tests/policy/random_policy.hpp"

namespace nfegress::testing {
namespace {
using namespace policy;
using policy::testing::Gen;

// What the kernel must do with a packet, read from the matcher's decision and the --ignore-* options.
Outcome expected(const Plan& plan, const Decision& d, const Packet& p) {
  for (auto port : plan.kernel.ignore_ports)
    if (p.tcp && port == p.dport) return Outcome::Accept;
  for (const auto& c : plan.kernel.ignore_cidrs)
    if (c.contains(IpAddr{p.family, p.daddr})) return Outcome::Accept;
  if (d.kind == DecisionKind::Untouched) return Outcome::Accept;
  if (d.needs_inspection) return p.syn_only && !p.payload ? Outcome::Accept : Outcome::Queue;
  if (d.kind == DecisionKind::Allow) return Outcome::Accept;
  return p.tcp ? Outcome::Reset : Outcome::Drop;
}

Plan random_plan(Gen& g, std::string& client, policy::testing::Resources& r) {
  r = policy::testing::random_networks(g);
  policy::testing::add_random_routes(g, r);
  client = g.uni(0, 1) ? "app" : "other";
  CompileOptions o;
  o.allow_udp = g.uni(0, 3) == 0;
  KernelOptions k;
  if (g.uni(0, 3) == 0) k.ignore_ports = {8080, 22};
  if (g.uni(0, 3) == 0) k.ignore_cidrs = {g.prefix(Family::V4), g.prefix(Family::V6)};
  return compile(r.rs, client, o, k);
}

TEST(PacketWalk, RulesetAgreesWithMatcherOnRandomPackets) {
  Gen g(20261201);
  std::size_t packets = 0, hash_maps = 0;
  std::map<Outcome, std::size_t> seen;
  for (int iter = 0; iter < 400; ++iter) {
    std::string client;
    policy::testing::Resources r;
    const Plan plan = random_plan(g, client, r);
    const Matcher m(plan);
    // Half of the policies with the hash-map threshold at 1 or 2: every prefix length (or every repeated one)
    // then gets its own masked hash map, so the split of the partition is walked at every length.
    const std::size_t hash_min = iter % 4 == 1 ? 1 : iter % 4 == 3 ? 2 : netfilter::kHashMapMin;
    const auto rs = netfilter::build_ruleset(plan, iter % 2 ? netfilter::QueueImpl::Native
                                                            : netfilter::QueueImpl::Compat, hash_min);
    for (const auto& s : rs.sets) hash_maps += s.size != 0;
    for (const auto& a : policy::testing::probe_addresses(g, r.rs)) {
      for (int k = 0; k < 6; ++k) {
        Packet p;
        p.family = a.family;
        p.daddr = a.value;
        p.tcp = k < 5;
        p.syn_only = k == 4;
        p.payload = k == 4 && iter % 3 == 0;  // a SYN with data (TCP Fast Open)
        const auto& ports = policy::testing::route_ports();
        p.dport = k < 4 ? ports[k] : static_cast<std::uint16_t>(g.uni(1, 65535));
        const auto d = m.decide_l4(a, p.dport, p.tcp ? Proto::Tcp : Proto::Udp);
        const Walk w = walk(rs, p);
        ASSERT_TRUE(w.ok()) << w.path.back();
        const Outcome want = expected(plan, d, p);
        ASSERT_EQ(outcome_name(w.outcome), std::string(outcome_name(want)))
            << "iteration " << iter << " client " << client << " dst " << format_ip(a) << " port " << p.dport
            << (p.tcp ? " tcp" : " udp") << (p.syn_only ? " syn" : "") << (p.payload ? " data" : "") << ": "
            << m.reason(d);
        ++seen[want];
        ++packets;
      }
    }
  }
  // Every outcome must be exercised, or the agreement proves little.
  for (Outcome o : {Outcome::Accept, Outcome::Drop, Outcome::Reset, Outcome::Queue})
    EXPECT_GT(seen[o], packets / 100) << outcome_name(o);
  EXPECT_GT(hash_maps, 400u) << "the hash maps were hardly exercised";
}

TEST(PacketWalk, DecidedFlowsAndTheEnforcerBypassTheMaps) {
  policy::testing::Resources r;
  r.egress("linkerd-egress", "all", TrafficPolicy::Deny);
  r.route(RouteKind::TLS, "linkerd-egress", "tls", "all", 443, {"example.com"});
  const Plan plan = compile(r.rs, "app");
  const auto rs = netfilter::build_ruleset(plan, netfilter::QueueImpl::Compat);
  Packet p;
  p.daddr = parse_ip("203.0.113.5")->value;
  p.dport = 443;
  EXPECT_EQ(walk(rs, p).outcome, Outcome::Queue);
  p.syn_only = true;
  EXPECT_EQ(walk(rs, p).outcome, Outcome::Accept);  // the handshake is never queued
  p.payload = true;
  EXPECT_EQ(walk(rs, p).outcome, Outcome::Queue);  // ... unless the SYN carries data (TCP Fast Open)
  p.syn_only = false;
  p.payload = false;

  Packet allowed = p;
  allowed.ct_mark = plan.kernel.mark_allow();
  EXPECT_EQ(walk(rs, allowed).outcome, Outcome::Accept);
  Packet denied = p;
  denied.ct_mark = plan.kernel.mark_deny();
  EXPECT_EQ(walk(rs, denied).outcome, Outcome::Reset);

  Packet verdict = p;  // a packet mark ALLOW or PASS grants nothing (SO_MARK needs only CAP_NET_RAW) ...
  verdict.mark = plan.kernel.mark_allow();
  const Walk w = walk(rs, verdict);
  EXPECT_EQ(w.outcome, Outcome::Queue);
  EXPECT_EQ(w.ct_mark, 0u);
  verdict.mark = plan.kernel.mark_pass();
  EXPECT_EQ(walk(rs, verdict).outcome, Outcome::Queue);
  verdict.mark = plan.kernel.mark_deny();  // ... DENY (the enforcer's NF_REPEAT) becomes the connection's mark
  EXPECT_EQ(walk(rs, verdict).ct_mark, plan.kernel.mark_deny());

  Packet own = p;  // no UID is exempt unless --exempt-uid opts in
  own.skuid = 2103;
  EXPECT_EQ(walk(rs, own).outcome, walk(rs, p).outcome);
  Packet lo = p;
  lo.oif_lo = true;
  EXPECT_EQ(walk(rs, lo).outcome, Outcome::Accept);
  Packet cluster = p;
  cluster.daddr = parse_ip("10.1.2.3")->value;
  EXPECT_EQ(walk(rs, cluster).outcome, Outcome::Accept);
  EXPECT_EQ(walk(rs, cluster).path, std::vector<std::string>{"output"});
}

}  // namespace
}  // namespace nfegress::testing
