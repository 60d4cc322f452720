// tests/netfilter/ruleset_node_test.cpp — node and gateway mode's table (build_node_ruleset): goldens of the
// export, forwarded packets of each client walked through it (ruleset_eval.hpp) for its own namespace's verdicts,
// and the minimal update a client coming, going or moving is (map elements, not a rebuild).
#include <gtest/gtest.h>

#include "golden.hpp"
#include "netfilter/batch.hpp"
#include "netfilter/render.hpp"
#include "netfilter/ruleset.hpp"
#include "policy/load.hpp"
#include "ruleset_eval.hpp"

namespace nfegress::netfilter {
namespace {

using testing::Packet;
using Out = testing::Outcome;

policy::ResourceSet fixture() {
  auto r = policy::load_paths({std::string(NFEGRESS_SOURCE_DIR) + "/tests/data/policies/node-namespaces.yaml"});
  EXPECT_FALSE(policy::has_errors(r.diagnostics));
  return r.resources;
}

std::vector<policy::Client> clients(std::initializer_list<const char*> specs) {
  std::vector<policy::Client> v;
  std::string err;
  for (const char* s : specs) v.push_back(*policy::parse_client(s, "test", err));
  EXPECT_TRUE(policy::normalize_clients(v).empty());
  return v;
}

Ruleset node(const std::vector<policy::Client>& cs, std::size_t hash_map_min = kHashMapMin,
             std::vector<const char*> deny_unknown = {}) {
  std::vector<std::string> nss;
  for (const auto& c : cs) nss.push_back(c.ns);
  policy::KernelOptions k;
  for (const char* d : deny_unknown) k.deny_unknown.push_back(*policy::parse_prefix(d));
  const auto plans = policy::plans_by_client(fixture(), nss, {}, k);
  return build_node_ruleset(k, plans, cs, QueueImpl::Compat, hash_map_min);
}

const std::vector<policy::Client>& base_clients() {
  static const auto v = clients({"192.0.2.0/28=team-a", "192.0.2.20=team-c", "192.0.2.21=team-b",
                                 "2001:db8:a::10=team-a", "2001:db8:c::/64=team-c"});
  return v;
}

Packet fwd(const char* src, const char* dst, std::uint16_t port, bool syn = false) {
  Packet p;
  const auto s = *policy::parse_ip(src), d = *policy::parse_ip(dst);
  p.family = s.family;
  p.saddr = s.value;
  p.daddr = d.value;
  p.dport = port;
  p.forwarded = true;
  p.syn_only = syn;
  p.payload = !syn;
  return p;
}

Out judge(const Ruleset& rs, const Packet& p) {
  const auto w = testing::walk(rs, p);
  EXPECT_TRUE(w.ok()) << w.path.back();
  return w.outcome;
}

TEST(NodeRuleset, Golden) {
  const Ruleset rs = node(base_clients());
  testing::expect_golden("node_gateway.nft", render_text(rs));
  testing::expect_golden("node_gateway.check.nft", render_text(rs, {.checkable = true}));
  testing::expect_golden("node_gateway.json", render_json(rs).dump(1) + "\n");
}

// Each client is judged by its own namespace's plan: local EgressNetworks (team-a), the global ones (team-c), a
// route scoped to one namespace (team-b's 9000).
TEST(NodeRuleset, EachClientGetsItsNamespacesVerdicts) {
  const Ruleset rs = node(base_clients());
  EXPECT_EQ(judge(rs, fwd("192.0.2.20", "203.0.113.10", 8080)), Out::Accept);   // global TCPRoute
  EXPECT_EQ(judge(rs, fwd("192.0.2.5", "203.0.113.10", 8080)), Out::Reset);     // team-a: partners, Deny
  EXPECT_EQ(judge(rs, fwd("192.0.2.5", "203.0.113.10", 9100)), Out::Accept);    // team-a's own route
  EXPECT_EQ(judge(rs, fwd("192.0.2.20", "203.0.113.10", 9100)), Out::Reset);
  EXPECT_EQ(judge(rs, fwd("192.0.2.5", "198.51.100.10", 9100)), Out::Accept);   // not captured for team-a
  EXPECT_EQ(judge(rs, fwd("192.0.2.20", "198.51.100.10", 9100)), Out::Reset);
  EXPECT_EQ(judge(rs, fwd("192.0.2.21", "203.0.113.10", 9000)), Out::Accept);   // scoped to team-b
  EXPECT_EQ(judge(rs, fwd("192.0.2.20", "203.0.113.10", 9000)), Out::Reset);
  EXPECT_EQ(judge(rs, fwd("192.0.2.20", "203.0.113.10", 443, true)), Out::Accept);  // the handshake
  EXPECT_EQ(judge(rs, fwd("192.0.2.20", "203.0.113.10", 443)), Out::Queue);         // the ClientHello
  EXPECT_EQ(judge(rs, fwd("192.0.2.5", "203.0.113.10", 443)), Out::Reset);
  EXPECT_EQ(judge(rs, fwd("2001:db8:c::99", "2001:db8:5::10", 9100)), Out::Reset);
  EXPECT_EQ(judge(rs, fwd("2001:db8:c::99", "2001:db8:5::10", 8080)), Out::Accept);
  EXPECT_EQ(judge(rs, fwd("2001:db8:a::10", "2001:db8:5::10", 9100)), Out::Accept);  // not captured for team-a
  // Not a client (another host, the server's replies): not judged.
  EXPECT_EQ(judge(rs, fwd("192.0.2.99", "203.0.113.10", 9100)), Out::Accept);
  EXPECT_EQ(judge(rs, fwd("203.0.113.10", "192.0.2.20", 40000)), Out::Accept);
  // The enforcer's deny (packet mark with NF_REPEAT) and a decided flow's ct mark, as in pod mode.
  policy::KernelOptions k;
  Packet denied = fwd("192.0.2.20", "203.0.113.10", 443);
  denied.mark = k.mark_deny();
  EXPECT_EQ(judge(rs, denied), Out::Reset);
  Packet allowed = fwd("192.0.2.20", "203.0.113.10", 443);
  allowed.ct_mark = k.mark_allow();
  EXPECT_EQ(judge(rs, allowed), Out::Accept);
  Packet lo = fwd("192.0.2.20", "203.0.113.10", 8080);
  lo.iif_lo = true;
  EXPECT_EQ(judge(rs, lo), Out::Drop);
}

// A forged source (no route back through the input interface) is dropped before any plan or ct mark is read:
// another client's address, an address that is nobody's (which would not be judged), even on an allowed flow.
TEST(NodeRuleset, ForgedSourcesAreDroppedFirst) {
  const Ruleset rs = node(base_clients());
  policy::KernelOptions k;
  for (const char* src : {"192.0.2.5", "192.0.2.99", "203.0.113.99", "2001:db8:c::99", "2001:db8:ffff::1"}) {
    const bool v6 = std::string_view(src).find(':') != std::string_view::npos;
    Packet p = fwd(src, v6 ? "2001:db8:5::10" : "203.0.113.10", 8080);
    EXPECT_NE(judge(rs, p), Out::Drop) << src << ": the same packet with a true source";
    p.spoofed = true;
    EXPECT_EQ(judge(rs, p), Out::Drop) << src;
    p.ct_mark = k.mark_allow();
    EXPECT_EQ(judge(rs, p), Out::Drop) << src << " riding an allowed connection";
    p.spoofed = false;
    EXPECT_EQ(judge(rs, p), Out::Accept) << src << ": an allowed connection with a true source";
  }
  const Chain* f = rs.find_chain("forward");
  ASSERT_NE(f, nullptr);
  ASSERT_GE(f->rules.size(), 2u);
  EXPECT_EQ(f->rules[1].matches.front().kind, Match::Kind::RpfMissing);
  EXPECT_EQ(f->rules[1].actions.front().kind, Action::Kind::Counter);
}

// --deny-unknown: a source in the ranges that is no client is denied (the shared deny chain: reset / drop) and
// counted; a source outside them is still not judged; a client inside them keeps its own plan's verdicts.
TEST(NodeRuleset, DenyUnknownDeniesUnlistedSourcesInRange) {
  const Ruleset rs = node(base_clients(), kHashMapMin, {"192.0.2.0/24", "2001:db8:c::/48", "2001:db8:a::/64"});
  testing::expect_golden("node_gateway_deny_unknown.nft", render_text(rs));
  const Set* u4 = rs.find_set(kUnknownSet4);
  ASSERT_NE(u4, nullptr);
  EXPECT_TRUE(u4->interval);
  ASSERT_EQ(u4->elements.size(), 1u);
  EXPECT_EQ(judge(rs, fwd("192.0.2.99", "203.0.113.10", 9100)), Out::Reset);   // unknown, in range
  EXPECT_EQ(judge(rs, fwd("192.0.2.99", "203.0.113.10", 9100, true)), Out::Reset);  // even its handshake
  Packet udp = fwd("192.0.2.99", "203.0.113.10", 53);
  udp.tcp = false;
  EXPECT_EQ(judge(rs, udp), Out::Drop);
  EXPECT_EQ(judge(rs, fwd("2001:db8:a::99", "2001:db8:5::10", 9100)), Out::Reset);
  EXPECT_EQ(judge(rs, fwd("198.51.100.7", "203.0.113.10", 9100)), Out::Accept);  // out of range: not judged
  EXPECT_EQ(judge(rs, fwd("2001:db8:b::1", "2001:db8:5::10", 9100)), Out::Accept);
  // Clients inside the ranges: their own plan, as without the flag.
  EXPECT_EQ(judge(rs, fwd("192.0.2.5", "203.0.113.10", 9100)), Out::Accept);
  EXPECT_EQ(judge(rs, fwd("192.0.2.20", "203.0.113.10", 9100)), Out::Reset);
  EXPECT_EQ(judge(rs, fwd("192.0.2.20", "203.0.113.10", 8080)), Out::Accept);
  EXPECT_EQ(judge(rs, fwd("2001:db8:c::99", "2001:db8:5::10", 8080)), Out::Accept);
  // The rule counts what it denies.
  const Chain* f = rs.find_chain("forward");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->rules.back().actions.front().kind, Action::Kind::Counter);
  // Without the flag: no sets, no rules (the table is as before).
  EXPECT_EQ(node(base_clients()).find_set(kUnknownSet4), nullptr);
}

// A changed --deny-unknown (a restart with another pod CIDR) is element changes, not a rebuild.
TEST(NodeRuleset, DenyUnknownChangeIsElements) {
  const auto before = node(base_clients(), kHashMapMin, {"192.0.2.0/24"});
  UpdateSummary s;
  update_batch(before, node(base_clients(), kHashMapMin, {"198.51.100.0/24", "2001:db8::/32"}), 1, true, &s);
  EXPECT_FALSE(s.full_replace);
  EXPECT_EQ(s.elements_added, 2u);
  EXPECT_EQ(s.elements_removed, 1u);
  EXPECT_EQ(s.chains_added + s.chains_removed + s.chains_rewritten + s.sets_added + s.sets_removed, 0u);
}

TEST(NodeRuleset, PlansAreNamedAndShared) {
  const auto cs = clients({"192.0.2.20=team-c", "192.0.2.30=team-d", "192.0.2.21=team-b"});
  const Ruleset rs = node(cs);
  ASSERT_NE(rs.find_chain("global"), nullptr);
  ASSERT_NE(rs.find_chain("ns_team-b"), nullptr);
  EXPECT_EQ(rs.find_chain("ns_team-d"), nullptr);  // team-d shares the global plan
  ASSERT_NE(rs.find_set("global_dst4"), nullptr);
  const Set* c4 = rs.find_set(kClientMap4);
  ASSERT_NE(c4, nullptr);
  ASSERT_EQ(c4->elements.size(), 3u);
  EXPECT_EQ(c4->elements[0].verdict->chain, "global");
  EXPECT_EQ(c4->elements[1].verdict->chain, "ns_team-b");
  EXPECT_EQ(c4->elements[2].verdict->chain, "global");
  // The hash maps of a large plan are the plan's own too.
  EXPECT_NE(node(cs, 1).find_set("global_dst4_24"), nullptr);
}

// A pod starting, stopping or moving is one element of a clients map; a namespace with a plan of its own
// arriving adds that plan's objects without replacing the table.
TEST(NodeRuleset, ClientChangesAreSmallUpdates) {
  const auto before = node(clients({"192.0.2.20=team-c", "192.0.2.21=team-b"}));
  UpdateSummary s;
  update_batch(before, node(clients({"192.0.2.20=team-c", "192.0.2.21=team-b", "192.0.2.22=team-c"})), 1, true, &s);
  EXPECT_FALSE(s.full_replace);
  EXPECT_EQ(s.elements_added, 1u);
  EXPECT_EQ(s.elements_removed, 0u);
  EXPECT_EQ(s.chains_added + s.chains_removed + s.chains_rewritten + s.sets_added + s.sets_removed, 0u);
  // A namespace more on the shared plan: one element too.
  update_batch(before, node(clients({"192.0.2.20=team-c", "192.0.2.21=team-b", "192.0.2.30=team-d"})), 1, true, &s);
  EXPECT_EQ(s.elements_added, 1u);
  EXPECT_EQ(s.chains_added + s.chains_removed + s.chains_rewritten + s.sets_added + s.sets_removed, 0u);
  const Batch moved = update_batch(before, node(clients({"192.0.2.20=team-c", "192.0.2.21=team-c"})), 1, true, &s);
  EXPECT_FALSE(s.full_replace);
  // team-b's plan leaves: its chains are flushed, then its maps go, then its chains (the maps jump to the chains
  // and the chains read the maps: the kernel refuses either deletion first, EBUSY).
  auto at = [&](const std::string& prefix) {
    for (std::size_t i = 0; i < moved.objects.size(); ++i)
      if (moved.objects[i].rfind(prefix, 0) == 0) return i;
    ADD_FAILURE() << "no " << prefix;
    return std::size_t{0};
  };
  EXPECT_LT(at("flush chain ns_team-b"), at("delete set ns_team-b_dst4"));
  EXPECT_LT(at("delete set ns_team-b_dst4"), at("delete chain ns_team-b_en_0"));
  EXPECT_EQ(s.elements_added, 1u);
  EXPECT_EQ(s.elements_removed, 1u);  // the element; team-b's plan goes with its maps (sets removed)
  EXPECT_GT(s.sets_removed, 0u);
  EXPECT_GT(s.chains_removed, 0u);
  update_batch(before, node(clients({"192.0.2.20=team-c", "192.0.2.21=team-b", "192.0.2.5=team-a"})), 1, true, &s);
  EXPECT_FALSE(s.full_replace);
  EXPECT_EQ(s.elements_removed, 0u);
  EXPECT_GT(s.sets_added, 0u);
  EXPECT_GT(s.chains_added, 0u);
  EXPECT_EQ(s.chains_rewritten, 0u);
}


// Issue 19: what the host sends with a client's source address (the parked copies, from the enforcer's raw socket)
// takes the output hook and must meet the plan the forward chain gives that client; the host's own packets and
// other sources are not judged. The enforcer's answers toward a client skip conntrack (chain answers).
TEST(NodeRuleset, HostSentCopiesMeetTheClientsPlan) {
  const Ruleset rs = node(base_clients());
  for (const auto& [src, dst, port] : {std::tuple{"192.0.2.20", "203.0.113.10", 443}, {"192.0.2.20", "203.0.113.10", 9100},
                                       {"192.0.2.5", "203.0.113.10", 9100}, {"192.0.2.5", "203.0.113.10", 8080},
                                       {"2001:db8:c::20", "2001:db8:5::10", 443}}) {
    Packet out = fwd(src, dst, static_cast<std::uint16_t>(port));
    out.forwarded = false;
    EXPECT_EQ(judge(rs, out), judge(rs, fwd(src, dst, static_cast<std::uint16_t>(port)))) << src << " " << port;
  }
  Packet copy = fwd("192.0.2.20", "203.0.113.10", 443);
  copy.forwarded = false;
  EXPECT_EQ(judge(rs, copy), Out::Queue);  // undecided: queued again, a carrier
  copy.local_saddr = true;                 // the same addresses, but the host's own: not judged
  EXPECT_EQ(judge(rs, copy), Out::Accept);
  Packet other = fwd("198.51.100.7", "203.0.113.10", 9100);
  other.forwarded = false;
  EXPECT_EQ(judge(rs, other), Out::Accept);
  const Chain* a = rs.find_chain(kAnswersChain);
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(a->base);
  EXPECT_EQ(a->hook, Chain::Hook::Output);
  EXPECT_EQ(a->priority, kPriorityRaw);  // before conntrack
  ASSERT_EQ(a->rules.size(), 5u);
  EXPECT_EQ(a->rules[0].matches.front().kind, Match::Kind::FibSaddrLocal);
  for (std::size_t i = 1; i < 3; ++i) EXPECT_EQ(a->rules[i].actions.front().verdict.kind, Verdict::Kind::Accept);
  for (std::size_t i = 3; i < 5; ++i) {  // only TCP toward a client is untracked
    EXPECT_EQ(a->rules[i].matches.front().kind, Match::Kind::L4Tcp);
    EXPECT_EQ(a->rules[i].actions.front().kind, Action::Kind::Notrack);
  }
}

}  // namespace

// Issue 18: node mode learns the answers its clients receive. With --dns-servers, a base chain dns_answers on the
// forward hook AFTER the forward chain (its reverse-path rule drops a forged resolver address first) queues, with
// bypass, the resolvers' replies (sport 53, established) that go to a client; without, nothing is added.
TEST(NodeRuleset, NodeDnsAnswersQueuedAfterTheForwardChain) {
  const auto cs = base_clients();
  std::vector<std::string> nss;
  for (const auto& c : cs) nss.push_back(c.ns);
  policy::KernelOptions k;
  const auto plans = policy::plans_by_client(fixture(), nss, {}, k);
  EXPECT_EQ(build_node_ruleset(k, plans, cs, QueueImpl::Compat).find_chain(kDnsChain), nullptr);
  k.dns_servers = {*policy::parse_ip("198.51.100.53"), *policy::parse_ip("2001:db8:53::53")};
  k.dns_queue = 7;
  const Ruleset rs = build_node_ruleset(k, plans, cs, QueueImpl::Compat);
  const Chain* d = rs.find_chain(kDnsChain);
  const Chain* f = rs.find_chain("forward");
  ASSERT_NE(d, nullptr);
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(d->base);
  EXPECT_EQ(d->hook, Chain::Hook::Forward);
  EXPECT_GT(d->priority, f->priority);
  EXPECT_EQ(f->rules[1].matches.front().kind, Match::Kind::RpfMissing);  // the forward chain runs it, first
  ASSERT_EQ(d->rules.size(), 4u);  // UDP and TCP, per family; no lo rule (the forward chain drops lo)
  for (const auto& r : d->rules) {
    bool to_client = false;
    for (const auto& m : r.matches)
      if ((m.kind == Match::Kind::Daddr4In && m.set == kClientMap4) ||
          (m.kind == Match::Kind::Daddr6In && m.set == kClientMap6))
        to_client = true;
    EXPECT_TRUE(to_client) << r.comment;
    const Action& q = r.actions.back();
    EXPECT_EQ(q.kind, Action::Kind::Queue);
    EXPECT_EQ(q.queue_num, 7u);
    EXPECT_TRUE(q.bypass);
  }
  EXPECT_NE(rs.find_set("dns4"), nullptr);
  EXPECT_NE(rs.find_set("dns6"), nullptr);
  EXPECT_NE(rs.dns_note.find("forwarded to a client"), std::string::npos) << rs.dns_note;
  const std::string text = render_text(rs);
  EXPECT_NE(text.find("type filter hook forward priority filter + 10;"), std::string::npos);
  EXPECT_NE(text.find("ip saddr @dns4 udp sport 53 ct state established ip daddr @clients4 counter queue flags "
                      "bypass to 7"), std::string::npos);
}

}  // namespace nfegress::netfilter
