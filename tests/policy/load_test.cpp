// tests/policy/load_test.cpp — the manifest loader: kinds and versions, multi-document YAML, JSON, `kind: List`,
// directories, stdin, namespace defaults, timestamps, input order, every route field, locations.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "load_test_util.hpp"
#include "policy/load.hpp"

namespace nfegress::policy {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::formatted;

const std::string kSrc = NFEGRESS_SOURCE_DIR;

TEST(Load, LinkerdDocsExampleLoadsAndValidatesWithoutFindings) {
  const auto r = load_paths({kSrc + "/deploy/examples/linkerd-docs-egress.yaml"});
  EXPECT_THAT(formatted(r.diagnostics), IsEmpty());
  ASSERT_EQ(r.resources.networks.size(), 1u);
  const auto& en = r.resources.networks[0];
  EXPECT_EQ(en.meta.ns, "linkerd-egress");
  EXPECT_EQ(en.meta.name, "all-egress-traffic");
  EXPECT_EQ(en.traffic_policy, TrafficPolicy::Deny);
  EXPECT_FALSE(en.networks.has_value());
  ASSERT_EQ(r.resources.routes.size(), 1u);
  const auto& rt = r.resources.routes[0];
  EXPECT_EQ(rt.kind, RouteKind::TLS);
  EXPECT_EQ(rt.api_group, "gateway.networking.k8s.io");
  EXPECT_EQ(rt.api_version, "v1alpha2");
  EXPECT_THAT(rt.hostnames, ElementsAre("httpbin.org"));
  ASSERT_EQ(rt.parents.size(), 1u);
  EXPECT_EQ(rt.parents[0].port, 443);
  EXPECT_EQ(rt.parents[0].ns, "linkerd-egress");
  EXPECT_EQ(rt.parents[0].kind, "EgressNetwork");
  ASSERT_EQ(rt.rules.size(), 1u);
  ASSERT_EQ(rt.rules[0].backends.size(), 1u);
  EXPECT_EQ(rt.rules[0].backends[0].name, "all-egress-traffic");
  EXPECT_FALSE(rt.rules[0].backends[0].ns.has_value());
  EXPECT_EQ(en.meta.input_order, 0u);
  EXPECT_EQ(rt.meta.input_order, 1u);
  EXPECT_EQ(rt.meta.loc.line, 10);
}

TEST(Load, EgressNetworkNetworksExceptsAndLocations) {
  const auto r = load_buffer("t.yaml", R"(apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata:
  name: en
  namespace: app
  annotations:
    config.linkerd.io/opaque-ports: "5432,6000-6001"
spec:
  trafficPolicy: Allow
  networks:
  - cidr: 192.168.0.1/16
    except:
    - 192.168.1.0/24
    - 192.168.2.7
  - cidr: 2001:db8::/32
)");
  EXPECT_THAT(formatted(r.diagnostics), IsEmpty());
  ASSERT_EQ(r.resources.networks.size(), 1u);
  const auto& en = r.resources.networks[0];
  EXPECT_EQ(en.traffic_policy, TrafficPolicy::Allow);
  EXPECT_EQ(en.traffic_policy_text, "Allow");
  ASSERT_TRUE(en.networks.has_value());
  ASSERT_EQ(en.networks->size(), 2u);
  EXPECT_EQ((*en.networks)[0].cidr_text, "192.168.0.1/16");
  EXPECT_EQ((*en.networks)[0].cidr, *parse_prefix("192.168.0.0/16"));
  EXPECT_THAT((*en.networks)[0].except_text, ElementsAre("192.168.1.0/24", "192.168.2.7"));
  EXPECT_EQ((*en.networks)[0].except[1], *parse_prefix("192.168.2.7/32"));
  EXPECT_EQ((*en.networks)[1].cidr.family, Family::V6);
  EXPECT_EQ(en.meta.annotations.at("config.linkerd.io/opaque-ports"), "5432,6000-6001");
  EXPECT_EQ(en.meta.field_locs.at("spec.networks[0].cidr").line, 11);
  EXPECT_EQ(en.meta.field_locs.at("spec.networks[0].cidr").column, 11);
  EXPECT_EQ(en.meta.field_locs.at("spec.networks[0].except[1]").line, 14);
  EXPECT_EQ(en.meta.field_locs.at("spec.networks[1].cidr").line, 15);
  EXPECT_EQ(en.meta.field_locs.at("spec.trafficPolicy").line, 9);
  EXPECT_EQ(en.meta.loc.file, "t.yaml");
  EXPECT_EQ(en.meta.loc.line, 1);
}

TEST(Load, EmptyNetworksListIsKeptAsPresent) {
  const auto r = load_buffer("t.yaml", R"(apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: en}
spec: {trafficPolicy: Deny, networks: []}
)");
  ASSERT_EQ(r.resources.networks.size(), 1u);
  ASSERT_TRUE(r.resources.networks[0].networks.has_value());
  EXPECT_TRUE(r.resources.networks[0].networks->empty());
}

TEST(Load, MultiDocumentStreamWithEmptyDocumentsAndInputOrder) {
  const auto r = load_buffer("t.yaml", R"(---
apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: a}
spec: {trafficPolicy: Deny}
---
---
# only a comment
---
apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: b}
spec: {trafficPolicy: Allow}
...
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: c}
spec:
  parentRefs: [{group: policy.linkerd.io, kind: EgressNetwork, name: a, port: 5432}]
  rules: [{}]
)");
  EXPECT_THAT(formatted(r.diagnostics), IsEmpty());
  ASSERT_EQ(r.resources.networks.size(), 2u);
  EXPECT_EQ(r.resources.networks[0].meta.name, "a");
  EXPECT_EQ(r.resources.networks[1].meta.name, "b");
  EXPECT_EQ(r.resources.networks[0].meta.input_order, 0u);
  EXPECT_EQ(r.resources.networks[1].meta.input_order, 1u);
  ASSERT_EQ(r.resources.routes.size(), 1u);
  EXPECT_EQ(r.resources.routes[0].meta.input_order, 2u);
  EXPECT_EQ(r.resources.routes[0].kind, RouteKind::TCP);
  EXPECT_EQ(r.resources.routes[0].meta.loc.line, 16);
}

TEST(Load, JsonDocumentWithLocations) {
  const auto r = load_buffer("t.json", R"({
  "apiVersion": "policy.linkerd.io/v1alpha1",
  "kind": "EgressNetwork",
  "metadata": {"name": "j", "namespace": "ns1", "creationTimestamp": "2024-01-31T12:00:00Z"},
  "spec": {
    "trafficPolicy": "Deny",
    "networks": [
      {"cidr": "203.0.113.0/24", "except": ["203.0.113.7"]}
    ]
  }
})");
  EXPECT_THAT(formatted(r.diagnostics), IsEmpty());
  ASSERT_EQ(r.resources.networks.size(), 1u);
  const auto& en = r.resources.networks[0];
  EXPECT_EQ(en.meta.ns, "ns1");
  EXPECT_EQ(en.meta.creation, 1706702400);
  EXPECT_THAT((*en.networks)[0].except_text, ElementsAre("203.0.113.7"));
  EXPECT_EQ(en.meta.field_locs.at("spec.networks[0].cidr").line, 8);
}

TEST(Load, JsonPortMustBeANumber) {
  const auto r = load_buffer("t.json", R"({"apiVersion": "gateway.networking.k8s.io/v1alpha2", "kind": "TCPRoute",
 "metadata": {"name": "t"},
 "spec": {"parentRefs": [{"group": "policy.linkerd.io", "kind": "EgressNetwork", "name": "e", "port": "443"}]}})");
  EXPECT_THAT(formatted(r.diagnostics),
              ElementsAre("t.json:3: TCPRoute default/t: spec.parentRefs[0].port: expected an integer, got a string"));
}

TEST(Load, KindListAndTypedListWithoutItemKinds) {
  const auto r = load_buffer("t.yaml", R"(apiVersion: v1
kind: List
items:
- apiVersion: policy.linkerd.io/v1alpha1
  kind: EgressNetwork
  metadata: {name: one, namespace: x}
  spec: {trafficPolicy: Deny}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: cm}
---
apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetworkList
items:
- metadata: {name: two, namespace: y}
  spec: {trafficPolicy: Allow}
)");
  EXPECT_THAT(formatted(r.diagnostics), IsEmpty());
  ASSERT_EQ(r.resources.networks.size(), 2u);
  EXPECT_EQ(r.resources.networks[0].meta.name, "one");
  EXPECT_EQ(r.resources.networks[1].meta.name, "two");
  EXPECT_EQ(r.resources.networks[1].traffic_policy, TrafficPolicy::Allow);
  ASSERT_EQ(r.skipped.size(), 1u);
  EXPECT_EQ(r.skipped[0], "t.yaml:8: ConfigMap v1 cm: skipped");
}

TEST(Load, DefaultNamespaceOption) {
  LoadOptions o;
  o.default_namespace = "team";
  const auto r = load_buffer("t.yaml", R"(apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: a}
spec: {trafficPolicy: Deny}
---
apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: b, namespace: explicit}
spec: {trafficPolicy: Deny}
)", o);
  ASSERT_EQ(r.resources.networks.size(), 2u);
  EXPECT_EQ(r.resources.networks[0].meta.ns, "team");
  EXPECT_EQ(r.resources.networks[1].meta.ns, "explicit");
  const auto d = load_buffer("t.yaml", "apiVersion: policy.linkerd.io/v1alpha1\nkind: EgressNetwork\n"
                                       "metadata: {name: a}\nspec: {trafficPolicy: Deny}\n");
  EXPECT_EQ(d.resources.networks[0].meta.ns, "default");
}

TEST(Load, CreationTimestamps) {
  auto ts = [](const std::string& t) {
    const auto r = load_buffer("t.yaml", "apiVersion: policy.linkerd.io/v1alpha1\nkind: EgressNetwork\n"
                                         "metadata: {name: a, creationTimestamp: \"" + t +
                                             "\"}\nspec: {trafficPolicy: Deny}\n");
    return std::make_pair(r.resources.networks.at(0).meta.creation, formatted(r.diagnostics));
  };
  EXPECT_EQ(ts("1970-01-01T00:00:00Z").first, 0);
  EXPECT_EQ(ts("2024-01-31T12:00:00Z").first, 1706702400);
  EXPECT_EQ(ts("2024-01-31T14:00:00+02:00").first, 1706702400);
  EXPECT_EQ(ts("2024-01-31T12:00:00.123456z").first, 1706702400);
  EXPECT_EQ(ts("2024-02-29T00:00:00Z").first, 1709164800);
  EXPECT_EQ(ts("1969-12-31T23:59:59Z").first, -1);
  const auto bad = ts("2023-02-29T00:00:00Z");
  EXPECT_FALSE(bad.first.has_value());
  EXPECT_THAT(bad.second, ElementsAre("t.yaml:3: EgressNetwork default/a: metadata.creationTimestamp: "
                                      "'2023-02-29T00:00:00Z' is not an RFC 3339 timestamp (e.g. 2024-01-31T12:00:00Z)"));
  EXPECT_FALSE(ts("2024-01-31 12:00").first.has_value());
  EXPECT_FALSE(ts("2024-01-31T12:00:00").first.has_value());
  // Without a timestamp a resource counts as oldest; input order breaks ties.
  const auto r = load_buffer("t.yaml", "apiVersion: policy.linkerd.io/v1alpha1\nkind: EgressNetwork\n"
                                       "metadata: {name: a}\nspec: {trafficPolicy: Deny}\n");
  EXPECT_FALSE(r.resources.networks[0].meta.creation.has_value());
}

TEST(Load, HttpRouteEveryField) {
  const auto r = load_buffer("t.yaml", R"(apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: h, namespace: app}
spec:
  parentRefs:
  - {group: policy.linkerd.io, kind: EgressNetwork, name: en, namespace: egress, port: 80, sectionName: s}
  hostnames: [API.Example.COM, "*.Example.org"]
  rules:
  - matches:
    - path: {value: /api}
      headers: [{name: X-Env, value: prod}, {type: RegularExpression, name: x-id, value: "[0-9]+"}]
      queryParams: [{name: q, value: "1"}]
      method: GET
    - path: {type: Exact, value: /get}
    - path: {type: RegularExpression, value: "/v[0-9]+/.*"}
    - headers: [{name: a, value: b}]
    backendRefs:
    - {group: policy.linkerd.io, kind: EgressNetwork, name: en, namespace: egress, port: 8080}
    - {name: svc}
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: {add: [{name: a, value: b}]}
  - {}
)");
  EXPECT_THAT(formatted(r.diagnostics), IsEmpty());
  ASSERT_EQ(r.resources.routes.size(), 1u);
  const auto& h = r.resources.routes[0];
  EXPECT_EQ(h.kind, RouteKind::HTTP);
  EXPECT_THAT(h.hostnames, ElementsAre("api.example.com", "*.example.org"));
  const auto& p = h.parents.at(0);
  EXPECT_EQ(p.group, "policy.linkerd.io");
  EXPECT_EQ(p.name, "en");
  EXPECT_EQ(p.ns, "egress");
  EXPECT_EQ(p.port, 80);
  EXPECT_EQ(p.section_name, "s");
  ASSERT_EQ(h.rules.size(), 2u);
  const auto& m = h.rules[0].http_matches;
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].path->type, StringMatchType::PathPrefix);  // default type
  EXPECT_EQ(m[0].path->value, "/api");
  ASSERT_EQ(m[0].headers.size(), 2u);
  EXPECT_EQ(m[0].headers[0].type, StringMatchType::Exact);
  EXPECT_EQ(m[0].headers[0].name, "X-Env");
  EXPECT_EQ(m[0].headers[1].type, StringMatchType::RegularExpression);
  EXPECT_EQ(m[0].headers[1].value, "[0-9]+");
  ASSERT_EQ(m[0].query_params.size(), 1u);
  EXPECT_EQ(m[0].query_params[0].value, "1");
  EXPECT_EQ(m[0].method, "GET");
  EXPECT_EQ(m[1].path->type, StringMatchType::Exact);
  EXPECT_EQ(m[2].path->type, StringMatchType::RegularExpression);
  EXPECT_FALSE(m[3].path.has_value());
  const auto& b = h.rules[0].backends;
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].kind, "EgressNetwork");
  EXPECT_EQ(b[0].ns, "egress");
  EXPECT_EQ(b[0].port, 8080);
  EXPECT_EQ(b[1].group, "");
  EXPECT_EQ(b[1].kind, "");
  EXPECT_EQ(b[1].name, "svc");
  ASSERT_EQ(h.rules[0].filters.size(), 1u);
  EXPECT_EQ(h.rules[0].filters[0].type, "RequestHeaderModifier");
  EXPECT_TRUE(h.rules[1].http_matches.empty());
  EXPECT_EQ(h.meta.field_locs.at("spec.rules[0].matches[1].path.value").line, 14);
  EXPECT_EQ(h.meta.field_locs.at("spec.hostnames[1]").line, 7);
}

TEST(Load, GrpcRouteMethodAndHeaders) {
  const auto r = load_buffer("t.yaml", R"(apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: g}
spec:
  parentRefs: [{group: policy.linkerd.io, kind: EgressNetwork, name: en, port: 443}]
  hostnames: [grpc.example.com]
  rules:
  - matches:
    - method: {service: pkg.Svc, method: Get}
      headers: [{name: x, value: y}]
    - method: {type: RegularExpression, service: "pkg\\..*"}
)");
  EXPECT_THAT(formatted(r.diagnostics), IsEmpty());
  const auto& g = r.resources.routes.at(0);
  EXPECT_EQ(g.kind, RouteKind::GRPC);
  const auto& m = g.rules.at(0).grpc_matches;
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].method->type, StringMatchType::Exact);
  EXPECT_EQ(m[0].method->service, "pkg.Svc");
  EXPECT_EQ(m[0].method->method, "Get");
  EXPECT_EQ(m[0].headers.at(0).name, "x");
  EXPECT_EQ(m[1].method->type, StringMatchType::RegularExpression);
  EXPECT_EQ(m[1].method->service, "pkg\\..*");
  EXPECT_FALSE(m[1].method->method.has_value());
}

TEST(Load, SupportedKindsAndVersions) {
  auto kind_of = [](const std::string& api, const std::string& kind) {
    const auto r = load_buffer("t.yaml", "apiVersion: " + api + "\nkind: " + kind + "\nmetadata: {name: x}\nspec: {}\n");
    if (!r.resources.routes.empty()) return std::string(route_kind_name(r.resources.routes[0].kind));
    if (!r.resources.networks.empty()) return std::string("EgressNetwork");
    return std::string("skipped");
  };
  EXPECT_EQ(kind_of("policy.linkerd.io/v1alpha1", "EgressNetwork"), "EgressNetwork");
  EXPECT_EQ(kind_of("gateway.networking.k8s.io/v1", "HTTPRoute"), "HTTPRoute");
  EXPECT_EQ(kind_of("gateway.networking.k8s.io/v1beta1", "HTTPRoute"), "HTTPRoute");
  EXPECT_EQ(kind_of("policy.linkerd.io/v1beta1", "HTTPRoute"), "HTTPRoute");
  EXPECT_EQ(kind_of("policy.linkerd.io/v1beta2", "HTTPRoute"), "HTTPRoute");
  EXPECT_EQ(kind_of("policy.linkerd.io/v1beta3", "HTTPRoute"), "HTTPRoute");
  EXPECT_EQ(kind_of("gateway.networking.k8s.io/v1", "GRPCRoute"), "GRPCRoute");
  EXPECT_EQ(kind_of("gateway.networking.k8s.io/v1alpha2", "GRPCRoute"), "GRPCRoute");
  EXPECT_EQ(kind_of("gateway.networking.k8s.io/v1alpha2", "TLSRoute"), "TLSRoute");
  EXPECT_EQ(kind_of("gateway.networking.k8s.io/v1alpha2", "TCPRoute"), "TCPRoute");
  EXPECT_EQ(kind_of("gateway.networking.k8s.io/v1alpha2", "HTTPRoute"), "skipped");
  EXPECT_EQ(kind_of("policy.linkerd.io/v1beta1", "EgressNetwork"), "skipped");
  EXPECT_EQ(kind_of("v1", "Service"), "skipped");
  EXPECT_EQ(kind_of("gateway.networking.k8s.io/v1", "Gateway"), "skipped");
}

TEST(Load, UnsupportedVersionOfAKnownKindWarns) {
  const auto r = load_buffer("t.yaml", "apiVersion: policy.linkerd.io/v1beta1\nkind: EgressNetwork\n"
                                       "metadata: {name: x, namespace: n}\nspec: {}\n");
  EXPECT_THAT(formatted(r.diagnostics),
              ElementsAre("t.yaml:1: warning: EgressNetwork n/x: apiVersion: apiVersion policy.linkerd.io/v1beta1 "
                          "of EgressNetwork is not supported: resource skipped"));
  EXPECT_THAT(r.skipped, ElementsAre("t.yaml:1: EgressNetwork policy.linkerd.io/v1beta1 x: skipped"));
}

TEST(Load, DocumentsWithoutKindAreSkipped) {
  const auto r = load_buffer("values.yaml", "replicas: 3\nimage: foo\n");
  EXPECT_THAT(formatted(r.diagnostics), IsEmpty());
  EXPECT_THAT(r.skipped, ElementsAre("values.yaml:1: not a Kubernetes object (no apiVersion/kind): skipped"));
}

TEST(Load, SyntaxErrorCarriesFileLineAndColumnAndKeepsEarlierDocuments) {
  const auto r = load_buffer("t.yaml", R"(apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: ok}
spec: {trafficPolicy: Deny}
---
apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: broken
spec: {trafficPolicy: Deny}
)");
  EXPECT_EQ(r.resources.networks.size(), 1u);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].loc.line, 9);
  EXPECT_EQ(r.diagnostics[0].loc.column, 5);
  EXPECT_EQ(r.diagnostics[0].format(),
            "t.yaml:9: syntax error at column 5: while parsing a flow mapping: did not find expected ',' or '}'");
}

TEST(Load, JsonSyntaxError) {
  const auto r = load_buffer("t.json", "{\"apiVersion\": \"v1\",\n \"kind\": [}\n");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].loc.file, "t.json");
  EXPECT_EQ(r.diagnostics[0].loc.line, 2);
  EXPECT_GT(r.diagnostics[0].loc.column, 0);
}

TEST(Load, WrongTypesAreErrorsWithFieldPaths) {
  const auto r = load_buffer("t.yaml", R"(apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: x}
spec:
  trafficPolicy: [Deny]
  networks: 10.0.0.0/8
---
apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: y}
spec:
  trafficPolicy: Deny
  networks:
  - 10.0.0.0/8
  - cidr: {a: b}
  - except: [1.2.3.4]
---
apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: [x]
---
apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: z, annotations: {a: 1}}
spec: nope
---
- just a list
)");
  EXPECT_THAT(formatted(r.diagnostics),
              ElementsAre("t.yaml:5: EgressNetwork default/x: spec.trafficPolicy: expected a string, got a list",
                          "t.yaml:6: EgressNetwork default/x: spec.networks: expected a list, got a string",
                          "t.yaml:14: EgressNetwork default/y: spec.networks[0]: expected a mapping, got a string",
                          "t.yaml:15: EgressNetwork default/y: spec.networks[1].cidr: expected a string, got a mapping",
                          "t.yaml:16: EgressNetwork default/y: spec.networks[2].cidr: required",
                          "t.yaml:20: EgressNetwork default/: metadata: expected a mapping, got a list",
                          "t.yaml:18: EgressNetwork default/: spec: required",
                          "t.yaml:24: EgressNetwork default/z: metadata.annotations.a: expected a string, got an integer",
                          "t.yaml:25: EgressNetwork default/z: spec: expected a mapping, got a string",
                          "t.yaml:27: expected a Kubernetes object (a mapping), got a list"));
}

TEST(Load, MissingNameAndSpecAreReported) {
  const auto r = load_buffer("t.yaml", "apiVersion: policy.linkerd.io/v1alpha1\nkind: EgressNetwork\nmetadata: {}\n");
  EXPECT_THAT(formatted(r.diagnostics), ElementsAre("t.yaml:3: EgressNetwork default/: metadata.name: required",
                                                    "t.yaml:1: EgressNetwork default/: spec: required"));
}

TEST(Load, InvalidPortsAndMatchTypes) {
  const auto r = load_buffer("t.yaml", R"(apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: h}
spec:
  parentRefs:
  - {group: policy.linkerd.io, kind: EgressNetwork, name: en, port: 70000}
  - {group: policy.linkerd.io, kind: EgressNetwork, name: en, port: 0}
  rules:
  - matches:
    - path: {type: Prefix, value: /}
      headers: [{type: Contains, name: a, value: b}]
    backendRefs: [{name: s, port: -1}]
)");
  EXPECT_THAT(formatted(r.diagnostics),
              ElementsAre("t.yaml:6: HTTPRoute default/h: spec.parentRefs[0].port: invalid port 70000: must be between 1 and 65535",
                          "t.yaml:7: HTTPRoute default/h: spec.parentRefs[1].port: invalid port 0: must be between 1 and 65535",
                          "t.yaml:10: HTTPRoute default/h: spec.rules[0].matches[0].path.type: unknown match type 'Prefix' (Exact, PathPrefix or RegularExpression)",
                          "t.yaml:11: HTTPRoute default/h: spec.rules[0].matches[0].headers[0].type: unknown match type 'Contains' (Exact or RegularExpression)",
                          "t.yaml:12: HTTPRoute default/h: spec.rules[0].backendRefs[0].port: invalid port -1: must be between 1 and 65535"));
}

TEST(Load, SmallAliasesAreExpanded) {
  const auto r = load_buffer("t.yaml", R"(apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: a, namespace: &ns shared}
spec:
  trafficPolicy: Deny
  networks: &nets
  - cidr: 203.0.113.0/24
---
apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: b, namespace: shared}
spec:
  trafficPolicy: Allow
  networks:
  - cidr: 198.51.100.0/24
)");
  EXPECT_THAT(formatted(r.diagnostics), IsEmpty());
  ASSERT_EQ(r.resources.networks.size(), 2u);
  EXPECT_EQ(r.resources.networks[0].meta.ns, "shared");
  const auto within = load_buffer("t.yaml", R"(apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: a}
spec:
  trafficPolicy: Deny
  networks:
  - &n {cidr: 203.0.113.0/24}
  - *n
)");
  EXPECT_THAT(formatted(within.diagnostics), IsEmpty());
  EXPECT_EQ(within.resources.networks.at(0).networks->size(), 2u);
  EXPECT_EQ((*within.resources.networks.at(0).networks)[1].cidr_text, "203.0.113.0/24");
}

class LoadFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("nfegress-load-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& rel, const std::string& text) {
    const auto p = dir_ / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  static std::string en(const std::string& name) {
    return "apiVersion: policy.linkerd.io/v1alpha1\nkind: EgressNetwork\nmetadata: {name: " + name +
           "}\nspec: {trafficPolicy: Deny}\n";
  }
  std::filesystem::path dir_;
};

TEST_F(LoadFiles, DirectoriesRecurseInSortedOrderAndOnlyReadManifestExtensions) {
  write("b.yaml", en("b"));
  write("a/z.yml", en("az"));
  write("a/y/deep.json",
        R"({"apiVersion":"policy.linkerd.io/v1alpha1","kind":"EgressNetwork","metadata":{"name":"deep"},"spec":{"trafficPolicy":"Allow"}})");
  write("c.txt", en("ignored"));
  write("README.md", "# not a manifest\n");
  const auto r = load_paths({dir_.string()});
  EXPECT_THAT(formatted(r.diagnostics), IsEmpty());
  std::vector<std::string> names;
  for (const auto& n : r.resources.networks) names.push_back(n.meta.name + ":" + std::to_string(n.meta.input_order));
  EXPECT_THAT(names, ElementsAre("deep:0", "az:1", "b:2"));
  ASSERT_EQ(r.files.size(), 3u);
  EXPECT_EQ(r.files[0], (dir_ / "a/y/deep.json").string());
}

TEST_F(LoadFiles, InputOrderContinuesAcrossInputs) {
  const auto f1 = write("one.yaml", en("first") + "---\n" + en("second"));
  const auto f2 = write("two.yaml", en("third"));
  const auto r = load_paths({f2, f1});
  ASSERT_EQ(r.resources.networks.size(), 3u);
  EXPECT_EQ(r.resources.networks[0].meta.name, "third");
  EXPECT_EQ(r.resources.networks[0].meta.input_order, 0u);
  EXPECT_EQ(r.resources.networks[2].meta.name, "second");
  EXPECT_EQ(r.resources.networks[2].meta.input_order, 2u);
  EXPECT_EQ(r.resources.networks[2].meta.loc.file, f1);
  EXPECT_EQ(r.resources.networks[2].meta.loc.line, 6);
}

TEST_F(LoadFiles, MissingPathIsAnError) {
  const auto r = load_paths({(dir_ / "nope.yaml").string()});
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].format(), (dir_ / "nope.yaml").string() + ": no such file or directory");
}

TEST_F(LoadFiles, LoadPathsValidatesAndSortsFindingsByFileAndLine) {
  const auto f = write("x.yaml", en("dup") + "---\n" +
                                     "apiVersion: policy.linkerd.io/v1alpha1\nkind: EgressNetwork\nmetadata: {name: dup}\n"
                                     "spec: {trafficPolicy: deny}\n");
  const auto r = load_paths({f});
  EXPECT_THAT(formatted(r.diagnostics),
              ElementsAre(f + ":8: EgressNetwork default/dup: metadata.name: duplicate EgressNetwork default/dup "
                              "(first defined at " + f + ":1)",
                          f + ":9: EgressNetwork default/dup: spec.trafficPolicy: unknown trafficPolicy 'deny': must "
                              "be Allow or Deny (case-sensitive)"));
}

TEST(LoadStdin, DashReadsStandardInput) {
  std::istringstream in("apiVersion: policy.linkerd.io/v1alpha1\nkind: EgressNetwork\nmetadata: {name: s}\n"
                        "spec: {trafficPolicy: Allow}\n");
  auto* old = std::cin.rdbuf(in.rdbuf());
  const auto r = load_paths({"-"});
  std::cin.rdbuf(old);
  EXPECT_THAT(formatted(r.diagnostics), IsEmpty());
  ASSERT_EQ(r.resources.networks.size(), 1u);
  EXPECT_EQ(r.resources.networks[0].meta.name, "s");
  EXPECT_EQ(r.resources.networks[0].meta.loc.file, "-");
  EXPECT_THAT(r.files, ElementsAre("-"));
}

TEST(DiagnosticFormat, ExactTextFormat) {
  Diagnostic d;
  d.loc = {"dir/a.yaml", 12, 3};
  d.kind = "EgressNetwork";
  d.ns = "linkerd-egress";
  d.name = "all";
  d.field = "spec.networks[0].except[1]";
  d.message = "cidr '10.0.0.0/8' does not include exception '11.0.0.0/8'";
  EXPECT_EQ(d.format(), "dir/a.yaml:12: EgressNetwork linkerd-egress/all: spec.networks[0].except[1]: cidr "
                        "'10.0.0.0/8' does not include exception '11.0.0.0/8'");
  d.severity = Severity::Warning;
  EXPECT_EQ(d.format(), "dir/a.yaml:12: warning: EgressNetwork linkerd-egress/all: spec.networks[0].except[1]: cidr "
                        "'10.0.0.0/8' does not include exception '11.0.0.0/8'");
  Diagnostic file_level;
  file_level.loc = {"x.yaml", 0, 0};
  file_level.message = "no such file or directory";
  EXPECT_EQ(file_level.format(), "x.yaml: no such file or directory");
}

}  // namespace
}  // namespace nfegress::policy
