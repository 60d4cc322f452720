// tests/policy/audit_test.cpp — audit (report-only) mode in the pure policy layer: the nfegress.io/mode
// annotation (validated with file:line and field), --audit for every network, an audited network compiled exactly
// as enforced but for its audit bit, and explain's "would deny in enforce mode" (text and JSON). Each would fail
// without its part of issue 20.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "load_test_util.hpp"
#include "policy/compile.hpp"
#include "policy/explain.hpp"

namespace nfegress::policy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::errors;
using testing::load_and_validate;

// Two Deny networks in namespace app; `audited` carries the annotation `mode` (none when empty); a TLSRoute for
// ok.example.com on its port 443.
std::string policy_yaml(const std::string& mode) {
  std::string y =
      "apiVersion: policy.linkerd.io/v1alpha1\nkind: EgressNetwork\nmetadata:\n  name: audited\n  namespace: app\n";
  if (!mode.empty()) y += "  annotations:\n    nfegress.io/mode: " + mode + "\n";
  y += "spec:\n  trafficPolicy: Deny\n  networks:\n  - cidr: 198.51.100.0/24\n---\n"
       "apiVersion: policy.linkerd.io/v1alpha1\nkind: EgressNetwork\nmetadata: {name: enforced, namespace: app}\n"
       "spec:\n  trafficPolicy: Deny\n  networks:\n  - cidr: 203.0.113.0/24\n---\n"
       "apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TLSRoute\nmetadata: {name: ok, namespace: app}\n"
       "spec:\n  parentRefs: [{group: policy.linkerd.io, kind: EgressNetwork, name: audited, port: 443}]\n"
       "  hostnames: [ok.example.com]\n  rules: [{}]\n";
  return y;
}

Plan compiled(const std::string& mode, CompileOptions o = {}) {
  const auto r = load_and_validate(policy_yaml(mode));
  EXPECT_THAT(errors(r.diagnostics), IsEmpty());
  return compile(r.resources, "app", o);
}

TEST(AuditMode, UnknownModeIsAnErrorWithFileLineAndField) {
  EXPECT_THAT(errors(load_and_validate(policy_yaml("Audit")).diagnostics),
              ElementsAre("t.yaml:7: EgressNetwork app/audited: metadata.annotations.nfegress.io/mode: unknown mode "
                          "'Audit': must be audit or enforce (case-sensitive)"));
  EXPECT_THAT(errors(load_and_validate(policy_yaml("report")).diagnostics), ::testing::SizeIs(1));
  EXPECT_THAT(errors(load_and_validate(policy_yaml("enforce")).diagnostics), IsEmpty());
  EXPECT_THAT(errors(load_and_validate(policy_yaml("audit")).diagnostics), IsEmpty());
}

TEST(AuditMode, AnnotationAuditsOnlyItsNetwork) {
  const Plan p = compiled("audit");
  ASSERT_EQ(p.networks.size(), 2u);
  EXPECT_EQ(p.networks[0].id(), "app/audited");
  EXPECT_TRUE(p.networks[0].audit);
  EXPECT_FALSE(p.networks[1].audit);
  EXPECT_FALSE(compiled("enforce").networks[0].audit);
  EXPECT_FALSE(compiled("").networks[0].audit);
}

TEST(AuditMode, FlagAuditsEveryNetworkWhateverTheAnnotation) {
  CompileOptions o;
  o.audit_all = true;
  for (const char* mode : {"", "enforce", "audit"}) {
    const Plan p = compiled(mode, o);
    for (const auto& n : p.networks) EXPECT_TRUE(n.audit) << mode << " " << n.id();
  }
}

// Same partition, ports, routes and defaults as enforced: only the bit differs.
TEST(AuditMode, CompiledExactlyAsEnforced) {
  Plan a = compiled("audit"), e = compiled("");
  ASSERT_EQ(a.networks.size(), e.networks.size());
  for (std::size_t i = 0; i < a.networks.size(); ++i) {
    const auto &x = a.networks[i], &y = e.networks[i];
    EXPECT_EQ(x.id(), y.id());
    EXPECT_EQ(x.tcp_default, y.tcp_default);
    EXPECT_EQ(x.other_default, y.other_default);
    ASSERT_EQ(x.ports.size(), y.ports.size());
    for (std::size_t k = 0; k < x.ports.size(); ++k) {
      EXPECT_EQ(x.ports[k].port, y.ports[k].port);
      EXPECT_EQ(x.ports[k].verdict, y.ports[k].verdict);
      EXPECT_EQ(x.ports[k].routes, y.ports[k].routes);
    }
  }
  ASSERT_EQ(a.v4.size(), e.v4.size());
  for (std::size_t i = 0; i < a.v4.size(); ++i) {
    EXPECT_EQ(a.v4[i].lo, e.v4[i].lo);
    EXPECT_EQ(a.v4[i].network, e.v4[i].network);
  }
  EXPECT_EQ(a.routes.size(), e.routes.size());
}

Explanation explained(const std::string& mode, const std::string& to, std::optional<std::string> sni,
                      Proto proto = Proto::Tcp) {
  const auto r = load_and_validate(policy_yaml(mode));
  const Plan p = compile(r.resources, "app");
  ExplainQuery q;
  const auto d = parse_destination(to);
  q.dst = d->first;
  q.port = d->second;
  q.proto = proto;
  if (sni) {
    q.request.tls = true;
    q.request.sni = *sni;
  }
  return explain(r.resources, p, q);
}

TEST(AuditExplain, WouldDenyInEnforceModeWithTheEnforcedReason) {
  const auto audited = explained("audit", "198.51.100.5:443", "bad.example.com");
  const auto enforced = explained("", "198.51.100.5:443", "bad.example.com");
  EXPECT_TRUE(audited.would_deny());
  EXPECT_FALSE(enforced.would_deny());
  EXPECT_EQ(audited.reason, enforced.reason);  // the same reason text as enforce mode gives
  EXPECT_THAT(explanation_text(audited), HasSubstr("decision: allow (audit: would deny in enforce mode)\n"));
  EXPECT_THAT(explanation_text(enforced), HasSubstr("decision: deny\n"));
  EXPECT_THAT(explanation_json(audited),
              HasSubstr("\"decision\":\"allow\",\"egressNetwork\":\"app/audited\""));
  EXPECT_THAT(explanation_json(audited), HasSubstr("\"audit\":\"deny\"}"));
  EXPECT_THAT(explanation_json(enforced), ::testing::Not(HasSubstr("\"audit\"")));
}

TEST(AuditExplain, AllowAndOtherNetworksUnchanged) {
  const auto ok = explained("audit", "198.51.100.5:443", "ok.example.com");
  EXPECT_FALSE(ok.would_deny());
  EXPECT_THAT(explanation_text(ok), HasSubstr("decision: allow\n"));
  const auto other = explained("audit", "203.0.113.5:443", "bad.example.com");
  EXPECT_FALSE(other.would_deny());
  EXPECT_THAT(explanation_json(other), HasSubstr("\"decision\":\"deny\""));
  const auto udp = explained("audit", "198.51.100.5:53", std::nullopt, Proto::Udp);
  EXPECT_TRUE(udp.would_deny());
  EXPECT_THAT(explanation_json(udp), HasSubstr("\"audit\":\"deny\""));
}

}  // namespace
}  // namespace nfegress::policy
