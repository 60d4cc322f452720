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
    Plan plan = random_plan(g, client, r);
    // A quarter of the policies with the SYN-ACK anchor: a packet of a flow that is not PENDING is judged alike.
    plan.kernel.syn_ack_anchor = (iter / 4) % 4 == 1;
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

// The SYN-ACK anchor (issue 19): a SYN marks its flow PENDING, the server's SYN-ACK adds the anchor, the
// handshake's ACK stays in the kernel, data is queued with mark ALLOW only at the anchor and with no mark bits
// anywhere else, whatever mark the sender forged.
TEST(PacketWalk, SynAckAnchor) {
  policy::testing::Resources r;
  r.egress("linkerd-egress", "all", TrafficPolicy::Deny);
  r.route(RouteKind::TLS, "linkerd-egress", "tls", "all", 443, {"example.com"});
  Plan plan = compile(r.rs, "app");
  plan.kernel.syn_ack_anchor = true;
  const auto& k = plan.kernel;
  auto rs = netfilter::build_ruleset(plan, netfilter::QueueImpl::Native);
  Packet p;
  p.daddr = parse_ip("203.0.113.5")->value;
  p.dport = 443;
  p.ct_id = 0xc0ffee;
  const std::uint32_t isn = 0xfffffff0;  // the client's ISN; its stream starts at ISN + 1 (wraps to 0xfffffff1)

  Packet syn = p;
  syn.syn_only = true;
  syn.seq = isn;
  const Walk ws = walk(rs, syn);
  EXPECT_EQ(ws.outcome, Outcome::Accept);
  EXPECT_EQ(ws.ct_mark & k.mark_mask(), k.mark_pending());

  Packet synack = p;  // received: the input hook's anchor chain
  synack.base_chain = netfilter::kAnchorChain;
  synack.syn_ack = true;
  synack.reply = true;
  synack.ackseq = isn + 1;
  synack.ct_mark = ws.ct_mark;
  const Walk wa = walk(rs, synack);
  ASSERT_TRUE(wa.ok()) << wa.path.back();
  EXPECT_EQ(wa.outcome, Outcome::Accept);
  ASSERT_EQ(wa.added.size(), 1u);
  EXPECT_EQ(wa.added[0], (policy::u128{0xc0ffee} << 32) | (isn + 1));
  for (auto no : {&Packet::iif_lo, &Packet::reply}) {  // from lo, or not conntrack's reply: no anchor
    Packet x = synack;
    x.*no = no == &Packet::iif_lo;
    EXPECT_TRUE(walk(rs, x).added.empty());
  }
  Packet not_pending = synack;  // a flow the inspect chain did not mark (not inspected, or older than the table)
  not_pending.ct_mark = 0;
  EXPECT_TRUE(walk(rs, not_pending).added.empty());
  // The kernel now holds the element.
  for (auto& s : rs.sets)
    if (s.name == netfilter::kAnchorSet) s.elements.push_back({wa.added[0], wa.added[0], std::nullopt});

  Packet ack = p;  // the handshake's last ACK, and later ACKs: no payload, stay in the kernel
  ack.ct_mark = ws.ct_mark;
  ack.seq = isn + 1;
  const Walk wk = walk(rs, ack);
  EXPECT_EQ(wk.outcome, Outcome::Accept);
  EXPECT_EQ(wk.path.back(), "inspect");
  for (auto flag : {&Packet::fin, &Packet::rst}) {  // a FIN or RST goes to the enforcer, mark bits cleared
    Packet x = ack;
    x.*flag = true;
    x.mark = k.mark_allow();
    const Walk w = walk(rs, x);
    EXPECT_EQ(w.outcome, Outcome::Queue);
    EXPECT_EQ(w.mark & k.mark_mask(), 0u);
  }

  Packet data = ack;  // the first data segment, at the anchor: queued with ALLOW
  data.payload = true;
  const Walk wd = walk(rs, data);
  EXPECT_EQ(wd.outcome, Outcome::Queue);
  EXPECT_EQ(wd.mark & k.mark_mask(), k.mark_allow());
  EXPECT_EQ(wd.path.back(), netfilter::kInspectDataChain);
  for (std::uint32_t forged : {0u, k.mark_allow(), k.mark_pass(), k.mark_allow() | 0x1u}) {
    Packet gap = data;  // data elsewhere (the gap insertion: a segment past the start) gets no mark bits
    gap.seq = isn + 1 + 100;
    gap.mark = forged;
    const Walk wg = walk(rs, gap);
    EXPECT_EQ(wg.outcome, Outcome::Queue);
    EXPECT_EQ(wg.mark & k.mark_mask(), 0u) << forged;
    EXPECT_EQ(wg.mark & ~k.mark_mask(), forged & ~k.mark_mask());  // other bits are not ours
    Packet other = data;  // the same sequence number on another connection
    other.ct_id = 7;
    other.mark = forged;
    EXPECT_EQ(walk(rs, other).mark & k.mark_mask(), 0u);
  }
  Packet unanchored = ack;  // a flow that is not PENDING: every segment to the enforcer, as without the anchor
  unanchored.ct_mark = 0;
  unanchored.mark = k.mark_pass();
  const Walk wu = walk(rs, unanchored);
  EXPECT_EQ(wu.outcome, Outcome::Queue);
  EXPECT_EQ(wu.mark & k.mark_mask(), 0u);
  Packet tfo = syn;  // data in the SYN: queued, mark bits cleared
  tfo.payload = true;
  tfo.mark = k.mark_allow();
  const Walk wt = walk(rs, tfo);
  EXPECT_EQ(wt.outcome, Outcome::Queue);
  EXPECT_EQ(wt.mark & k.mark_mask(), 0u);
  Packet allowed = data;  // once the enforcer set ct mark ALLOW, nothing reaches inspect
  allowed.ct_mark = k.mark_allow();
  EXPECT_EQ(walk(rs, allowed).path, std::vector<std::string>{"output"});
}

}  // namespace
}  // namespace nfegress::testing
