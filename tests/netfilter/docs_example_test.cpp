// tests/netfilter/docs_example_test.cpp — Linkerd's documented egress example
// (deploy/examples/linkerd-docs-egress.yaml) end to end in pure code: manifest -> plan -> ruleset, as a golden
// export, and packets (namespace, dst, port, proto -> verdict) walked through the plan and the ruleset.
#include <gtest/gtest.h>

#include "golden.hpp"
#include "netfilter/render.hpp"
#include "policy/compile.hpp"
#include "policy/load.hpp"
#include "policy/match.hpp"
#include "ruleset_eval.hpp"

namespace nfegress::testing {
namespace {
using namespace policy;

ResourceSet docs_example() {
  const auto r = load_paths({std::string(NFEGRESS_SOURCE_DIR) + "/deploy/examples/linkerd-docs-egress.yaml"});
  EXPECT_FALSE(has_errors(r.diagnostics));
  EXPECT_EQ(r.resources.networks.size(), 1u);
  EXPECT_EQ(r.resources.routes.size(), 1u);
  return r.resources;
}

TEST(DocsExample, GoldenExport) {
  const auto rs = netfilter::build_ruleset(compile(docs_example(), "app"), netfilter::QueueImpl::Compat);
  expect_golden("linkerd_docs_compat.nft", netfilter::render_text(rs));
  expect_golden("linkerd_docs_compat.check.nft", netfilter::render_text(rs, {.checkable = true}));
  expect_golden("linkerd_docs_compat.json", netfilter::render_json(rs).dump(1) + "\n");
  expect_golden("linkerd_docs_compat.check.json", netfilter::render_json(rs, {.checkable = true}).dump(1) + "\n");
}

struct Walked {
  const char* ns;
  const char* dst;
  std::uint16_t port;
  bool tcp;
  bool syn;
  Outcome kernel;        // what the ruleset does with the packet
  DecisionKind plan;     // what the plan decides at L4
  bool inspected;        // the plan hands the flow to the enforcer
};

TEST(DocsExample, PacketsThroughPlanAndRuleset) {
  const auto resources = docs_example();
  const Walked cases[] = {
      {"app", "203.0.113.5", 443, true, true, Outcome::Accept, DecisionKind::Deny, true},   // handshake
      {"app", "203.0.113.5", 443, true, false, Outcome::Queue, DecisionKind::Deny, true},   // ClientHello
      {"app", "203.0.113.5", 80, true, false, Outcome::Reset, DecisionKind::Deny, false},
      {"app", "203.0.113.5", 80, true, true, Outcome::Reset, DecisionKind::Deny, false},
      {"app", "203.0.113.5", 53, false, false, Outcome::Drop, DecisionKind::Deny, false},   // Deny means deny
      {"app", "2001:db8::1", 443, true, false, Outcome::Queue, DecisionKind::Deny, true},
      {"app", "2001:db8::1", 8443, true, false, Outcome::Reset, DecisionKind::Deny, false},
      {"app", "10.1.2.3", 80, true, false, Outcome::Accept, DecisionKind::Untouched, false},  // cluster
      {"app", "fd00::1", 443, true, false, Outcome::Accept, DecisionKind::Untouched, false},
      {"linkerd-egress", "198.51.100.9", 22, true, false, Outcome::Reset, DecisionKind::Deny, false},
  };
  for (const auto& c : cases) {
    const Plan plan = compile(resources, c.ns);
    const Matcher m(plan);
    const auto a = *parse_ip(c.dst);
    const auto d = m.decide_l4(a, c.port, c.tcp ? Proto::Tcp : Proto::Udp);
    const std::string where = std::string(c.ns) + " -> " + c.dst + ":" + std::to_string(c.port);
    EXPECT_EQ(d.kind, c.plan) << where << ": " << m.reason(d);
    EXPECT_EQ(d.needs_inspection, c.inspected) << where;
    Packet p;
    p.family = a.family;
    p.daddr = a.value;
    p.dport = c.port;
    p.tcp = c.tcp;
    p.syn_only = c.syn;
    const Walk w = walk(netfilter::build_ruleset(plan, netfilter::QueueImpl::Compat), p);
    ASSERT_TRUE(w.ok()) << where << ": " << w.path.back();
    EXPECT_EQ(outcome_name(w.outcome), std::string(outcome_name(c.kernel))) << where;
  }
}

}  // namespace
}  // namespace nfegress::testing
