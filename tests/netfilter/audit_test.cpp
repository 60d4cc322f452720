// tests/netfilter/audit_test.cpp — the kernel half of audit mode (netfilter/ruleset_audit.cpp): an audited network's
// kernel denials go to chain audit_N, which counts per port in the dynamic counter sets and accepts; packets walked
// through the ruleset show it (and that a network next to it still resets and drops); switching audit <-> enforce
// is an ordinary minimal update, never a full replace; the renderers and the libnftnl objects carry the sets.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "netfilter/batch.hpp"
#include "netfilter/canonical.hpp"
#include "netfilter/render.hpp"
#include "netfilter/ruleset.hpp"
#include "ruleset_eval.hpp"

namespace nfegress::netfilter {
namespace {

using ::testing::HasSubstr;
using nfegress::testing::Outcome;
using nfegress::testing::Packet;
using nfegress::testing::small_plan;
using nfegress::testing::v4;
using nfegress::testing::walk;

// small_plan's egress/deny (network 0: 80 denied by a route, 443 inspected, 5432 allowed) audited; egress/open not.
policy::Plan audited_plan() { return nfegress::testing::audit_plan(); }

Packet to(const char* ip, std::uint16_t port, bool tcp = true) {
  Packet p;
  p.daddr = v4(ip);
  p.dport = port;
  p.tcp = tcp;
  p.ct_established = false;  // a new flow: what audit counts
  return p;
}

TEST(AuditRuleset, AuditedNetworkSendsItsDenialsToItsAuditChain) {
  const Ruleset rs = build_ruleset(audited_plan(), QueueImpl::Native);
  const Set* tcp = rs.find_set("audit_0_tcp");
  const Set* udp = rs.find_set("audit_0_udp");
  ASSERT_TRUE(tcp && udp);
  EXPECT_TRUE(tcp->dynamic);
  EXPECT_EQ(tcp->size, kAuditSetSize);
  EXPECT_TRUE(tcp->elements.empty());
  EXPECT_EQ(rs.find_set("audit_1_tcp"), nullptr);  // egress/open is not audited
  ASSERT_NE(rs.find_chain("audit_0"), nullptr);
  EXPECT_EQ(rs.find_chain("audit_1"), nullptr);
  const Set* ports = rs.find_set("ports_0");
  ASSERT_TRUE(ports);
  for (const auto& e : ports->elements) {
    if (e.lo == 80) {
      EXPECT_EQ(e.verdict->chain, "audit_0");
    }
  }
  const Chain* en = rs.find_chain("en_0");
  ASSERT_TRUE(en);
  EXPECT_EQ(en->rules[1].actions[0].verdict.chain, "audit_0");  // TCP default
  EXPECT_EQ(en->rules[2].actions[0].verdict.chain, "audit_0");  // non-TCP default (was drop)
  // Enforced, the same plan resets and drops.
  const Ruleset enforced = build_ruleset(small_plan(), QueueImpl::Native);
  EXPECT_EQ(enforced.find_chain("en_0")->rules[1].actions[0].verdict.chain, "deny");
  EXPECT_EQ(enforced.find_chain("en_0")->rules[2].actions[0].verdict.kind, Verdict::Kind::Drop);
  EXPECT_EQ(enforced.find_set("audit_0_tcp"), nullptr);
}

TEST(AuditRuleset, WalkCountsAndAcceptsWouldDenies) {
  const Ruleset rs = build_ruleset(audited_plan(), QueueImpl::Native);
  const auto port80 = walk(rs, to("203.0.113.9", 80));  // a Deny port (route)
  EXPECT_EQ(port80.outcome, Outcome::Accept);
  EXPECT_EQ(port80.counted, "audit_0_tcp");
  const auto other = walk(rs, to("203.0.113.9", 8080));  // the TCP default
  EXPECT_EQ(other.outcome, Outcome::Accept);
  EXPECT_EQ(other.counted, "audit_0_tcp");
  const auto dns = walk(rs, to("203.0.113.9", 53, false));  // UDP
  EXPECT_EQ(dns.outcome, Outcome::Accept);
  EXPECT_EQ(dns.counted, "audit_0_udp");
  Packet later = to("203.0.113.9", 8080);
  later.ct_established = true;  // the flow's later packets pass uncounted
  EXPECT_EQ(walk(rs, later).outcome, Outcome::Accept);
  EXPECT_EQ(walk(rs, later).counted, "");
  EXPECT_EQ(walk(rs, to("203.0.113.9", 443)).outcome, Outcome::Queue);  // inspected: the enforcer decides
  EXPECT_EQ(walk(rs, to("203.0.113.9", 443)).counted, "");
  EXPECT_EQ(walk(rs, to("203.0.113.9", 5432)).counted, "");  // allowed: never counted
  // Enforced, the same packets are reset and dropped, and nothing counts them.
  const Ruleset enforced = build_ruleset(small_plan(), QueueImpl::Native);
  EXPECT_EQ(walk(enforced, to("203.0.113.9", 80)).outcome, Outcome::Reset);
  EXPECT_EQ(walk(enforced, to("203.0.113.9", 53, false)).outcome, Outcome::Drop);
  EXPECT_EQ(walk(enforced, to("203.0.113.9", 80)).counted, "");
}

TEST(AuditRuleset, SwitchingIsAMinimalUpdate) {
  const Ruleset a = build_ruleset(audited_plan(), QueueImpl::Native);
  const Ruleset e = build_ruleset(small_plan(), QueueImpl::Native);
  UpdateSummary s;
  update_batch(a, e, 1, true, &s);  // audit -> enforce
  EXPECT_FALSE(s.full_replace);
  EXPECT_EQ(s.sets_removed, 2u);
  EXPECT_EQ(s.chains_removed, 1u);
  EXPECT_EQ(s.chains_rewritten, 1u);  // en_0
  EXPECT_EQ(s.elements_removed, 1u);  // 80: goto audit_0 ...
  EXPECT_EQ(s.elements_added, 1u);    // ... becomes 80: goto deny
  update_batch(e, a, 1, true, &s);  // enforce -> audit
  EXPECT_FALSE(s.full_replace);
  EXPECT_EQ(s.sets_added, 2u);
  EXPECT_EQ(s.chains_added, 1u);
  update_batch(a, a, 1, true, &s);
  EXPECT_TRUE(s.empty());
}

TEST(AuditRuleset, RenderedAsNftListsIt) {
  const Ruleset rs = build_ruleset(audited_plan(), QueueImpl::Native);
  const std::string text = render_text(rs, {});
  EXPECT_THAT(text, HasSubstr("\tset audit_0_tcp {\n\t\ttype inet_service\n\t\tsize 65536\n\t\tflags dynamic\n"
                              "\t\tcounter\n\t\tcomment \"EgressNetwork egress/deny: TCP would-denies (audit)\"\n"));
  EXPECT_THAT(text, HasSubstr("ct state new update @audit_0_udp { udp dport } comment"));
  EXPECT_THAT(text, HasSubstr("meta l4proto tcp goto audit_0 comment \"EgressNetwork egress/deny: TCP default\""));
  const std::string json = render_json(rs, {}).dump();
  EXPECT_THAT(json, HasSubstr("\"stmt\":[{\"counter\":null}]"));
  EXPECT_THAT(json, HasSubstr("{\"set\":{\"elem\":{\"payload\":{\"field\":\"dport\",\"protocol\":\"tcp\"}},"
                              "\"op\":\"update\",\"set\":\"@audit_0_tcp\"}}"));
  // The libnftnl objects: the set is dynamic (NFT_SET_EVAL = 0x20 in its flags), the rule a dynset update.
  const auto c = canonical(rs);
  const auto has = [&](const std::string& needle) {
    for (const auto& l : c.lines)
      if (l.find(needle) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(has("set audit_0_tcp flags=32 keytype=13 keylen=2 size=65536"));
  EXPECT_TRUE(has("[dynset op=1 reg_key=1 set=audit_0_tcp]"));
}

// What reads the kernel back finds pod mode's and node mode's audit sets by name, and nothing else.
TEST(AuditNames, ParseIsTheInverseOfTheNames) {
  for (const std::string prefix : {"", "global_", "ns_team-a_"})
    for (const std::size_t i : {0u, 7u, 12u})
      for (const bool udp : {false, true}) {
        const auto a = parse_audit_set(audit_set(i, udp, prefix));
        ASSERT_TRUE(a) << audit_set(i, udp, prefix);
        EXPECT_EQ(*a, (AuditName{prefix.empty() ? "" : prefix.substr(0, prefix.size() - 1), i, udp}));
        EXPECT_EQ(parse_audit_chain(audit_chain(i, prefix)), a->plan);
      }
  for (const char* other : {"dst4", "ns_team-a_dst4", "global_ports_0", "audit_0", "audit__tcp", "audit_x_tcp",
                            "xaudit_0_tcp", "audit_0_tcpx", "clients4", "unknown4", "global_en_0", "ignore_ports"})
    EXPECT_EQ(parse_audit_set(other), std::nullopt) << other;
  for (const char* other : {"deny", "global", "ns_team-a_en_0", "audit_", "xaudit_3", "audit_3_tcp"})
    EXPECT_EQ(parse_audit_chain(other), std::nullopt) << other;
}

// Node mode: each plan's audit sets are named after the plan, and every one of them parses to its plan.
TEST(AuditNames, NodeModeSetsNameTheirPlan) {
  std::vector<policy::SharedPlan> plans{{"global", {"team-c"}, audited_plan()}, {"ns_team-a", {"team-a"}, audited_plan()}};
  std::string err;
  std::vector<policy::Client> cs{*policy::parse_client("192.0.2.20=team-c", "test", err),
                                 *policy::parse_client("192.0.2.5=team-a", "test", err)};
  const Ruleset rs = build_node_ruleset(policy::KernelOptions{}, plans, cs, QueueImpl::Native);
  std::vector<std::string> found;
  for (const auto& s : rs.sets)
    if (s.dynamic) {
      const auto a = parse_audit_set(s.name);
      ASSERT_TRUE(a) << s.name;
      found.push_back(a->plan + "/" + std::to_string(a->index) + (a->udp ? "/udp" : "/tcp"));
    }
  EXPECT_EQ(found, (std::vector<std::string>{"global/0/tcp", "global/0/udp", "ns_team-a/0/tcp", "ns_team-a/0/udp"}));
}

}  // namespace
}  // namespace nfegress::netfilter
