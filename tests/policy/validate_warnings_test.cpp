// tests/policy/validate_warnings_test.cpp — what loads but will not behave as a user might think: shadowing of
// the global namespace, Service and foreign backendRefs, filters, cluster-network overlap, conflicts between
// route kinds, routes on opaque ports, missing parents. Exact text, location and implied condition.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "load_test_util.hpp"
#include "policy/validate.hpp"

namespace nfegress::policy {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::errors;
using testing::load_and_validate;
using testing::warnings;

std::string en(const std::string& ns, const std::string& name, const std::string& spec = "{trafficPolicy: Deny}") {
  return "apiVersion: policy.linkerd.io/v1alpha1\nkind: EgressNetwork\nmetadata: {name: " + name + ", namespace: " +
         ns + "}\nspec: " + spec + "\n";
}

// A route in namespace `app` (5 header lines, spec body from line 6).
std::string route(const std::string& api_kind, const std::string& name, const std::string& body) {
  return api_kind + "metadata: {name: " + name + ", namespace: app}\nspec:\n" + body;
}

const std::string kHttp = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n";
const std::string kGrpc = "apiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\n";
const std::string kTls = "apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TLSRoute\n";
const std::string kTcp = "apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TCPRoute\n";

std::string parent(int port) {
  return "  parentRefs: [{group: policy.linkerd.io, kind: EgressNetwork, name: en, port: " + std::to_string(port) +
         "}]\n";
}

const Diagnostic* find(const Diagnostics& d, const std::string& needle) {
  for (const auto& x : d)
    if (x.message.find(needle) != std::string::npos) return &x;
  return nullptr;
}

TEST(ValidateWarnings, LocalEgressNetworkShadowsGlobalOnes) {
  const auto r = load_and_validate(en("linkerd-egress", "all") + "---\n" + en("app", "local") + "---\n" +
                                   en("app", "another") + "---\n" + en("other-global", "x"));
  EXPECT_THAT(errors(r.diagnostics), IsEmpty());
  EXPECT_THAT(warnings(r.diagnostics),
              ElementsAre("t.yaml:13: warning: EgressNetwork app/another: metadata.namespace: namespace 'app' has its "
                          "own EgressNetworks, so the global ones in 'linkerd-egress' (all) do not apply to clients in "
                          "'app', not even for destinations no EgressNetwork of 'app' captures",
                          "t.yaml:18: warning: EgressNetwork other-global/x: metadata.namespace: namespace "
                          "'other-global' has its own EgressNetworks, so the global ones in 'linkerd-egress' (all) do "
                          "not apply to clients in 'other-global', not even for destinations no EgressNetwork of "
                          "'other-global' captures"));
  // Without global EgressNetworks there is nothing to shadow; a different global namespace moves the rule.
  EXPECT_THAT(warnings(load_and_validate(en("app", "local")).diagnostics), IsEmpty());
  ValidateOptions o;
  o.global_ns = "other-global";
  EXPECT_EQ(warnings(load_and_validate(en("linkerd-egress", "all") + "---\n" + en("other-global", "x"), o).diagnostics)
                .size(),
            1u);
}

TEST(ValidateWarnings, NetworkOverlappingClusterNetworksIsNotAccepted) {
  const auto r = load_and_validate(en("linkerd-egress", "e",
                                      "\n  trafficPolicy: Deny\n  networks:\n  - cidr: 0.0.0.0/0\n"
                                      "  - cidr: 203.0.113.0/24\n  - cidr: fd00::1/128\n"));
  EXPECT_THAT(warnings(r.diagnostics),
              ElementsAre("t.yaml:7: warning: EgressNetwork linkerd-egress/e: spec.networks[0].cidr: networks overlap "
                          "with clusterNetworks: '0.0.0.0/0' intersects cluster network '10.0.0.0/8'; not Accepted "
                          "(EgressReasonNetworkOverlap), but traffic to it is still captured, as upstream does",
                          "t.yaml:9: warning: EgressNetwork linkerd-egress/e: spec.networks[2].cidr: networks overlap "
                          "with clusterNetworks: 'fd00::1/128' intersects cluster network 'fd00::/8'; not Accepted "
                          "(EgressReasonNetworkOverlap), but traffic to it is still captured, as upstream does"));
  const auto* d = find(r.diagnostics, "overlap");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->condition, "Accepted");
  EXPECT_EQ(d->reason, "EgressReasonNetworkOverlap");
  // Custom cluster networks replace the defaults.
  ValidateOptions o;
  o.cluster_networks = {*parse_prefix("203.0.113.0/25")};
  const auto c = load_and_validate(en("linkerd-egress", "e", "{trafficPolicy: Deny, networks: [{cidr: 203.0.113.0/24}, "
                                                             "{cidr: 10.1.0.0/16}]}"),
                                   o);
  ASSERT_EQ(warnings(c.diagnostics).size(), 1u);
  EXPECT_NE(warnings(c.diagnostics)[0].find("'203.0.113.0/24' intersects cluster network '203.0.113.0/25'"),
            std::string::npos);
}

TEST(ValidateWarnings, OverlappingExceptions) {
  const auto r = load_and_validate(en("n", "e", "{trafficPolicy: Deny, networks: [{cidr: 198.51.100.0/24, except: "
                                                "[198.51.100.0/28, 198.51.100.64/26, 198.51.100.8/29]}]}"));
  EXPECT_THAT(warnings(r.diagnostics),
              ElementsAre("t.yaml:4: warning: EgressNetwork n/e: spec.networks[0].except[2]: exception "
                          "'198.51.100.8/29' overlaps exception '198.51.100.0/28'"));
}

TEST(ValidateWarnings, ServiceBackendIsNotHonoured) {
  const auto r = load_and_validate(en("app", "en") + "---\n" +
                                   route(kHttp, "h", parent(80) + "  rules:\n  - backendRefs:\n    - {name: svc, port: 80}\n"
                                                                  "    - {group: core, kind: Service, name: s2, namespace: o}\n"
                                                                  "    - {group: policy.linkerd.io, kind: EgressNetwork, name: en}\n"));
  EXPECT_THAT(errors(r.diagnostics), IsEmpty());
  EXPECT_THAT(warnings(r.diagnostics),
              ElementsAre("t.yaml:13: warning: HTTPRoute app/h: spec.rules[0].backendRefs[0]: backendRef to Service "
                          "app/svc is not honoured: a transparent enforcer cannot redirect a connection, so traffic "
                          "matching this rule is denied",
                          "t.yaml:14: warning: HTTPRoute app/h: spec.rules[0].backendRefs[1]: backendRef to Service "
                          "o/s2 is not honoured: a transparent enforcer cannot redirect a connection, so traffic "
                          "matching this rule is denied"));
}

TEST(ValidateWarnings, BackendToAnotherEgressNetworkOrUnknownKindIsInvalid) {
  const auto r = load_and_validate(en("app", "en") + "---\n" + en("app", "other") + "---\n" +
                                   route(kTls, "t", parent(443) + "  rules:\n  - backendRefs:\n"
                                                                  "    - {group: policy.linkerd.io, kind: EgressNetwork, name: other}\n"
                                                                  "    - {group: example.com, kind: Thing, name: x}\n"));
  EXPECT_THAT(warnings(r.diagnostics),
              ElementsAre("t.yaml:18: warning: TLSRoute app/t: spec.rules[0].backendRefs[0]: backendRef to "
                          "EgressNetwork app/other is not the parent EgressNetwork app/en: invalid, traffic matching "
                          "this rule is denied",
                          "t.yaml:19: warning: TLSRoute app/t: spec.rules[0].backendRefs[1]: backendRef of unsupported "
                          "kind 'example.com/Thing': invalid, traffic matching this rule is denied"));
  const auto* d = find(r.diagnostics, "unsupported kind");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->condition, "ResolvedRefs");
  EXPECT_EQ(d->reason, "InvalidKind");
}

TEST(ValidateWarnings, Filters) {
  const auto r = load_and_validate(en("app", "en") + "---\n" +
                                   route(kHttp, "h", parent(80) + "  rules:\n  - filters:\n    - type: RequestMirror\n"
                                                                  "    - type: URLRewrite\n    - type: ExtensionRef\n"
                                                                  "    - type: RequestHeaderModifier\n"
                                                                  "    - type: ResponseHeaderModifier\n"
                                                                  "    - type: RequestRedirect\n"));
  EXPECT_THAT(warnings(r.diagnostics),
              ElementsAre("t.yaml:13: warning: HTTPRoute app/h: spec.rules[0].filters[0]: filter RequestMirror makes "
                          "Linkerd drop the whole route: its traffic falls to the EgressNetwork's trafficPolicy",
                          "t.yaml:14: warning: HTTPRoute app/h: spec.rules[0].filters[1]: filter URLRewrite makes "
                          "Linkerd drop the whole route: its traffic falls to the EgressNetwork's trafficPolicy",
                          "t.yaml:15: warning: HTTPRoute app/h: spec.rules[0].filters[2]: filter ExtensionRef makes "
                          "Linkerd drop the whole route: its traffic falls to the EgressNetwork's trafficPolicy",
                          "t.yaml:16: warning: HTTPRoute app/h: spec.rules[0].filters[3]: filter RequestHeaderModifier "
                          "is ignored: a transparent enforcer does not modify requests or responses",
                          "t.yaml:17: warning: HTTPRoute app/h: spec.rules[0].filters[4]: filter "
                          "ResponseHeaderModifier is ignored: a transparent enforcer does not modify requests or "
                          "responses",
                          "t.yaml:18: warning: HTTPRoute app/h: spec.rules[0].filters[5]: filter RequestRedirect is "
                          "ignored: a transparent enforcer does not answer with redirects"));
}

TEST(ValidateWarnings, ConflictedRoutesByKindPrecedence) {
  // Example 14: HTTPRoute and TLSRoute on port 443 of one EgressNetwork -> the TLSRoute is conflicted.
  const auto r = load_and_validate(en("app", "en") + "---\n" + route(kHttp, "h", parent(443)) + "---\n" +
                                   route(kTls, "t", parent(443) + "  rules: [{}]\n") + "---\n" +
                                   route(kTls, "t80", parent(80) + "  rules: [{}]\n") + "---\n" +
                                   route(kGrpc, "g", parent(8443)) + "---\n" + route(kHttp, "h2", parent(8443)));
  EXPECT_THAT(errors(r.diagnostics), IsEmpty());
  EXPECT_THAT(warnings(r.diagnostics),
              ElementsAre("t.yaml:16: warning: TLSRoute app/t: spec.parentRefs[0].port: ignored: HTTPRoute app/h on "
                          "the same EgressNetwork app/en port 443 takes precedence (RouteReasonConflicted)",
                          "t.yaml:36: warning: HTTPRoute app/h2: spec.parentRefs[0].port: ignored: GRPCRoute app/g on "
                          "the same EgressNetwork app/en port 8443 takes precedence (RouteReasonConflicted)"));
  const auto* d = find(r.diagnostics, "RouteReasonConflicted");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->condition, "Accepted");
  EXPECT_EQ(d->reason, "RouteReasonConflicted");
}

TEST(ValidateWarnings, NonTcpRoutesOnOpaquePortsAreIgnored) {
  // Example 15: HTTPRoute on 5432 is ignored; a TCPRoute there applies (and is not "conflicted").
  const auto r = load_and_validate(en("app", "en") + "---\n" + route(kHttp, "h", parent(5432)) + "---\n" +
                                   route(kTcp, "t", parent(5432) + "  rules: [{}]\n"));
  EXPECT_THAT(warnings(r.diagnostics),
              ElementsAre("t.yaml:10: warning: HTTPRoute app/h: spec.parentRefs[0].port: port 5432 is opaque on "
                          "EgressNetwork app/en: HTTPRoutes are ignored there, only TCPRoutes apply"));
  // The annotation replaces the default list.
  const std::string annotated =
      "apiVersion: policy.linkerd.io/v1alpha1\nkind: EgressNetwork\nmetadata:\n  name: en\n  namespace: app\n"
      "  annotations: {config.linkerd.io/opaque-ports: \"7000\"}\nspec: {trafficPolicy: Deny}\n";
  const auto a = load_and_validate(annotated + "---\n" + route(kTls, "t", parent(5432) + "  rules: [{}]\n") + "---\n" +
                                   route(kTls, "t2", parent(7000) + "  rules: [{}]\n"));
  ASSERT_EQ(warnings(a.diagnostics).size(), 1u);
  EXPECT_NE(warnings(a.diagnostics)[0].find("port 7000 is opaque on EgressNetwork app/en: TLSRoutes are ignored"),
            std::string::npos);
}

TEST(ValidateWarnings, MissingParentEgressNetwork) {
  const auto r = load_and_validate(route(kTls, "t", parent(443) + "  rules: [{}]\n"));
  EXPECT_THAT(warnings(r.diagnostics),
              ElementsAre("t.yaml:5: warning: TLSRoute app/t: spec.parentRefs[0]: parent EgressNetwork app/en is not "
                          "in the input: the route attaches to nothing"));
  EXPECT_EQ(r.diagnostics.at(0).reason, "NoMatchingParent");
}

TEST(ValidateWarnings, RoutesWithoutEgressParentsAreNotJudgedOnBackends) {
  const auto r = load_and_validate(route(kHttp, "h", "  parentRefs: [{name: gw}]\n  rules:\n  - backendRefs: "
                                                     "[{name: svc}]\n    filters: [{type: URLRewrite}]\n"));
  EXPECT_THAT(testing::formatted(r.diagnostics), IsEmpty());
}

}  // namespace
}  // namespace nfegress::policy
