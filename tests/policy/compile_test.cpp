// tests/policy/compile_test.cpp — candidate selection and route scoping, per-port route handling,
// defaults, diagnostics and determinism of compile().
#include <gtest/gtest.h>

#include "policy/compile.hpp"
#include "semantics_fixtures.hpp"

namespace nfegress::policy {
namespace {
using namespace testing;

bool has_diag(const Plan& p, const std::string& name, const std::string& needle) {
  for (const auto& d : p.diagnostics)
    if ((name.empty() || d.name == name) && d.message.find(needle) != std::string::npos) return true;
  return false;
}

const PortPolicy& port_of(const Plan& p, std::size_t net, std::uint16_t port) {
  const PortPolicy* pp = p.networks.at(net).port(port);
  if (!pp) throw std::runtime_error("port not listed");
  return *pp;
}

TEST(CompileCandidates, LocalShadowsGlobalAndWarns) {
  Resources r;
  r.egress("linkerd-egress", "all", TrafficPolicy::Deny);
  r.egress("app", "local", TrafficPolicy::Allow, std::vector<Network>{net("203.0.113.0/24")});
  r.egress("third", "x", TrafficPolicy::Allow);
  const Plan app = compile(r.rs, "app");
  ASSERT_EQ(app.networks.size(), 1u);
  EXPECT_EQ(app.networks[0].id(), "app/local");
  EXPECT_TRUE(has_diag(app, "", "shadowing"));
  const Plan other = compile(r.rs, "other");
  ASSERT_EQ(other.networks.size(), 1u);
  EXPECT_EQ(other.networks[0].id(), "linkerd-egress/all");
  EXPECT_FALSE(has_diag(other, "", "shadowing"));
  const Plan global = compile(r.rs, "linkerd-egress");
  ASSERT_EQ(global.networks.size(), 1u);
  CompileOptions o;
  o.global_ns = "egress";
  EXPECT_TRUE(compile(r.rs, "other", o).networks.empty());
}

TEST(CompileCandidates, SortedByNamespaceAndName) {
  Resources r;
  r.egress("linkerd-egress", "b", TrafficPolicy::Deny, std::vector<Network>{net("192.0.2.0/24")});
  r.egress("linkerd-egress", "a", TrafficPolicy::Deny, std::vector<Network>{net("198.51.100.0/24")});
  const Plan p = compile(r.rs, "app");
  ASSERT_EQ(p.networks.size(), 2u);
  EXPECT_EQ(p.networks[0].name, "a");
  EXPECT_EQ(p.networks[1].name, "b");
  EXPECT_EQ(p.networks[*p.network_for(ip("192.0.2.1"))].name, "b");
}

TEST(CompileDefaults, TcpAndOtherDefaults) {
  Resources r;
  r.egress("linkerd-egress", "deny", TrafficPolicy::Deny, std::vector<Network>{net("192.0.2.0/24")});
  r.egress("linkerd-egress", "allow", TrafficPolicy::Allow, std::vector<Network>{net("198.51.100.0/24")});
  Plan p = compile(r.rs, "app");
  EXPECT_EQ(p.networks[1].id(), "linkerd-egress/deny");
  EXPECT_EQ(p.networks[1].tcp_default, Verdict::Deny);
  EXPECT_EQ(p.networks[1].other_default, Verdict::Deny);
  EXPECT_EQ(p.networks[0].tcp_default, Verdict::Allow);
  EXPECT_EQ(p.networks[0].other_default, Verdict::Allow);
  CompileOptions o;
  o.allow_udp = true;
  p = compile(r.rs, "app", o);
  EXPECT_EQ(p.networks[1].other_default, Verdict::Allow);
  EXPECT_EQ(p.networks[1].tcp_default, Verdict::Deny);
}

TEST(CompileRoutes, ScopingOfRoutesInAnotherNamespace) {
  Resources r;
  r.egress("linkerd-egress", "all", TrafficPolicy::Deny);
  r.route(RouteKind::TCP, "team", "t", "linkerd-egress/all", 443);
  const Plan team = compile(r.rs, "team");
  ASSERT_NE(team.networks[0].port(443), nullptr);
  EXPECT_EQ(team.networks[0].port(443)->verdict, Verdict::Allow);
  const Plan other = compile(r.rs, "other");
  EXPECT_EQ(other.networks[0].port(443), nullptr);
  EXPECT_TRUE(other.routes.empty());
}

TEST(CompileRoutes, ParentRefNamespaceDefaultsToRoute) {
  Resources r;
  r.egress("linkerd-egress", "all", TrafficPolicy::Deny);
  r.route(RouteKind::TCP, "app", "t", "all", 443);  // means app/all, which does not exist
  EXPECT_EQ(compile(r.rs, "app").networks[0].port(443), nullptr);
  r.route(RouteKind::TCP, "linkerd-egress", "t2", "all", 443);
  EXPECT_NE(compile(r.rs, "app").networks[0].port(443), nullptr);
}

TEST(CompileRoutes, GroupKindCaseInsensitiveEmptyGroupIsNot) {
  Resources r;
  r.egress("linkerd-egress", "all", TrafficPolicy::Deny);
  auto& a = r.route(RouteKind::TCP, "linkerd-egress", "a", "all", 443);
  a.parents[0].group = "Policy.Linkerd.IO";
  a.parents[0].kind = "egressnetwork";
  auto& b = r.route(RouteKind::TCP, "linkerd-egress", "b", "all", 80);
  b.parents[0].group = "";
  const Plan p = compile(r.rs, "app");
  EXPECT_NE(p.networks[0].port(443), nullptr);
  EXPECT_EQ(p.networks[0].port(80), nullptr);
}

TEST(CompileRoutes, ParentRefWithoutPortIgnored) {
  Resources r;
  r.egress("linkerd-egress", "all", TrafficPolicy::Deny);
  r.route(RouteKind::HTTP, "linkerd-egress", "noport", "all", std::nullopt);
  const Plan p = compile(r.rs, "app");
  EXPECT_TRUE(p.networks[0].ports.empty());
  EXPECT_TRUE(has_diag(p, "noport", "without specifying a port"));
}

TEST(CompileRoutes, KindPrecedenceGrpcHttpTlsTcp) {
  Resources r;
  r.egress("linkerd-egress", "all", TrafficPolicy::Deny);
  r.route(RouteKind::TCP, "linkerd-egress", "tcp", "all", 8443);
  r.route(RouteKind::TLS, "linkerd-egress", "tls", "all", 8443);
  r.route(RouteKind::HTTP, "linkerd-egress", "http", "all", 8443);
  r.route(RouteKind::GRPC, "linkerd-egress", "grpc", "all", 8443);
  r.route(RouteKind::TCP, "linkerd-egress", "tcp2", "all", 9000);
  r.route(RouteKind::TLS, "linkerd-egress", "tls2", "all", 9000);
  const Plan p = compile(r.rs, "app");
  EXPECT_EQ(port_of(p, 0, 8443).inspection, Inspection::Grpc);
  ASSERT_EQ(port_of(p, 0, 8443).routes.size(), 1u);
  EXPECT_EQ(p.routes[port_of(p, 0, 8443).routes[0]].meta.name, "grpc");
  EXPECT_EQ(port_of(p, 0, 9000).inspection, Inspection::Tls);
  for (const char* n : {"tcp", "tls", "http", "tcp2"}) EXPECT_TRUE(has_diag(p, n, "RouteReasonConflicted")) << n;
  EXPECT_FALSE(has_diag(p, "grpc", "RouteReasonConflicted"));
}

TEST(CompileRoutes, OpaquePortsAnnotationAndDefault) {
  Resources r;
  auto& en = r.egress("linkerd-egress", "all", TrafficPolicy::Deny);
  en.meta.annotations["config.linkerd.io/opaque-ports"] = "4000-4010,7000";
  r.route(RouteKind::HTTP, "linkerd-egress", "h4005", "all", 4005);
  r.route(RouteKind::TLS, "linkerd-egress", "t7000", "all", 7000);
  r.route(RouteKind::HTTP, "linkerd-egress", "h5432", "all", 5432);  // default opaque, but overridden here
  r.route(RouteKind::TCP, "linkerd-egress", "tcp4005", "all", 4005);
  const Plan p = compile(r.rs, "app");
  EXPECT_EQ(port_of(p, 0, 4005).inspection, Inspection::None);
  EXPECT_EQ(port_of(p, 0, 4005).verdict, Verdict::Allow);
  EXPECT_EQ(p.networks[0].port(7000), nullptr);
  EXPECT_EQ(port_of(p, 0, 5432).inspection, Inspection::Http);
  EXPECT_TRUE(has_diag(p, "t7000", "opaque"));
  EXPECT_EQ(p.networks[0].opaque_ports.size(), 12u);
}

TEST(CompileRoutes, OldestTcpRouteTakesThePort) {
  Resources r;
  r.egress("linkerd-egress", "all", TrafficPolicy::Deny);
  r.route(RouteKind::TCP, "linkerd-egress", "newer", "all", 443, {}, {backends_rule({service_backend("svc")})}, 20);
  r.route(RouteKind::TCP, "linkerd-egress", "older", "all", 443, {}, {backends_rule({egress_backend("all")})}, 10);
  Plan p = compile(r.rs, "app");
  EXPECT_EQ(port_of(p, 0, 443).verdict, Verdict::Allow);
  EXPECT_EQ(port_of(p, 0, 443).route.name, "older");
  EXPECT_TRUE(has_diag(p, "newer", "takes the whole"));
  // The other way round: the Service backend wins and is not honoured -> deny.
  r.rs.routes[0].meta.creation = 5;
  p = compile(r.rs, "app");
  EXPECT_EQ(port_of(p, 0, 443).verdict, Verdict::Deny);
  EXPECT_EQ(port_of(p, 0, 443).route.name, "newer");
  EXPECT_TRUE(has_diag(p, "newer", "not honoured"));
}

TEST(CompileRoutes, BackendKinds) {
  Resources r;
  r.egress("linkerd-egress", "all", TrafficPolicy::Allow);
  r.egress("linkerd-egress", "other", TrafficPolicy::Allow, std::vector<Network>{net("192.0.2.0/24")});
  r.route(RouteKind::TCP, "linkerd-egress", "self", "all", 1, {}, {backends_rule({egress_backend("all", "linkerd-egress")})});
  r.route(RouteKind::TCP, "linkerd-egress", "none", "all", 2);
  r.route(RouteKind::TCP, "linkerd-egress", "svc", "all", 3, {}, {backends_rule({service_backend("s")})});
  r.route(RouteKind::TCP, "linkerd-egress", "oen", "all", 4, {}, {backends_rule({egress_backend("other")})});
  BackendRef unknown;
  unknown.group = "example.com";
  unknown.kind = "Thing";
  unknown.name = "x";
  r.route(RouteKind::TCP, "linkerd-egress", "unk", "all", 5, {}, {backends_rule({unknown})});
  const Plan p = compile(r.rs, "app");
  EXPECT_EQ(port_of(p, 0, 1).verdict, Verdict::Allow);
  EXPECT_EQ(port_of(p, 0, 2).verdict, Verdict::Allow);
  EXPECT_EQ(port_of(p, 0, 3).verdict, Verdict::Deny);
  EXPECT_EQ(port_of(p, 0, 4).verdict, Verdict::Deny);
  EXPECT_EQ(port_of(p, 0, 5).verdict, Verdict::Deny);
  EXPECT_TRUE(has_diag(p, "svc", "not honoured"));
  EXPECT_TRUE(has_diag(p, "oen", "invalid backendRef"));
}

TEST(CompileRoutes, InspectUnlessOutcomeIsConstant) {
  Resources r;
  r.egress("linkerd-egress", "deny", TrafficPolicy::Deny, std::vector<Network>{net("192.0.2.0/24")});
  r.egress("linkerd-egress", "allow", TrafficPolicy::Allow, std::vector<Network>{net("198.51.100.0/24")});
  // Deny network, every route denies (Service backends): nothing can allow -> kernel Deny.
  r.route(RouteKind::HTTP, "linkerd-egress", "d1", "deny", 80, {}, {http_rule({}, {service_backend("s")})});
  // Deny network with a route that lets through: inspect.
  r.route(RouteKind::TLS, "linkerd-egress", "d2", "deny", 443, {"example.com"});
  // Allow network, every route lets through: kernel Allow.
  r.route(RouteKind::HTTP, "linkerd-egress", "a1", "allow", 80, {"example.com"});
  // Allow network with a denying route: inspect.
  r.route(RouteKind::GRPC, "linkerd-egress", "a2", "allow", 50051, {}, {backends_rule({service_backend("s")})});
  const Plan p = compile(r.rs, "app");
  ASSERT_EQ(p.networks[1].name, "deny");
  EXPECT_EQ(port_of(p, 1, 80).verdict, Verdict::Deny);
  EXPECT_EQ(port_of(p, 1, 80).route.name, "http-egress-deny");
  EXPECT_EQ(port_of(p, 1, 443).verdict, Verdict::Inspect);
  EXPECT_EQ(port_of(p, 1, 443).inspection, Inspection::Tls);
  EXPECT_EQ(port_of(p, 0, 80).verdict, Verdict::Allow);
  EXPECT_EQ(port_of(p, 0, 50051).verdict, Verdict::Inspect);
  EXPECT_EQ(port_of(p, 0, 50051).inspection, Inspection::Grpc);
}

TEST(CompileRoutes, DroppingFiltersAndIgnoredFilters) {
  Resources r;
  r.egress("linkerd-egress", "all", TrafficPolicy::Deny);
  RouteRule mirror;
  mirror.filters.push_back(Filter{"RequestMirror"});
  r.route(RouteKind::HTTP, "linkerd-egress", "m", "all", 80, {}, {mirror});
  RouteRule hdr;
  hdr.filters.push_back(Filter{"RequestHeaderModifier"});
  r.route(RouteKind::HTTP, "linkerd-egress", "h", "all", 8080, {}, {hdr});
  const Plan p = compile(r.rs, "app");
  EXPECT_EQ(p.networks[0].port(80), nullptr);
  EXPECT_TRUE(has_diag(p, "m", "drops the whole route"));
  EXPECT_NE(p.networks[0].port(8080), nullptr);
  EXPECT_TRUE(has_diag(p, "h", "ignored by a transparent enforcer"));
}

TEST(CompileRoutes, PlanRoutesSortedAndReferenced) {
  Resources r;
  r.egress("linkerd-egress", "all", TrafficPolicy::Deny);
  r.route(RouteKind::TLS, "linkerd-egress", "z", "all", 443, {"z.example"});
  r.route(RouteKind::TLS, "linkerd-egress", "a", "all", 443, {"a.example"});
  r.route(RouteKind::HTTP, "linkerd-egress", "m", "all", 80);
  auto& two = r.route(RouteKind::HTTP, "linkerd-egress", "two", "all", 8080);
  ParentRef again = two.parents[0];
  again.port = 8081;
  two.parents.push_back(again);
  const Plan p = compile(r.rs, "app");
  std::vector<std::string> names;
  for (const auto& rt : p.routes) names.push_back(std::string(route_kind_name(rt.kind)) + "/" + rt.meta.name);
  EXPECT_EQ(names, (std::vector<std::string>{"HTTPRoute/m", "HTTPRoute/two", "TLSRoute/a", "TLSRoute/z"}));
  EXPECT_EQ(port_of(p, 0, 443).routes, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(port_of(p, 0, 8080).routes, (std::vector<std::size_t>{1}));
  EXPECT_EQ(port_of(p, 0, 8081).routes, (std::vector<std::size_t>{1}));
  std::vector<std::uint16_t> ports;
  for (const auto& pp : p.networks[0].ports) ports.push_back(pp.port);
  EXPECT_EQ(ports, (std::vector<std::uint16_t>{80, 443, 8080, 8081}));
}

TEST(CompileRoutes, DeterministicUnderInputPermutation) {
  Resources r;
  r.egress("linkerd-egress", "b", TrafficPolicy::Deny, std::vector<Network>{net("192.0.2.0/24")}, 1);
  r.egress("linkerd-egress", "a", TrafficPolicy::Allow, std::vector<Network>{net("192.0.2.0/24")}, 1);
  r.route(RouteKind::TLS, "linkerd-egress", "y", "a", 443, {"y"}, {RouteRule{}}, 1);
  r.route(RouteKind::TLS, "linkerd-egress", "x", "b", 443, {"x"}, {RouteRule{}}, 1);
  const Plan p1 = compile(r.rs, "app");
  ResourceSet rev = r.rs;
  std::reverse(rev.networks.begin(), rev.networks.end());
  std::reverse(rev.routes.begin(), rev.routes.end());
  // read in the other order: the input order is renumbered, as a loader would
  std::uint64_t order = 0;
  for (auto& en : rev.networks) en.meta.input_order = order++;
  for (auto& rt : rev.routes) rt.meta.input_order = order++;
  const Plan p2 = compile(rev, "app");
  ASSERT_EQ(p1.networks.size(), p2.networks.size());
  for (std::size_t i = 0; i < p1.networks.size(); ++i) EXPECT_EQ(p1.networks[i].id(), p2.networks[i].id());
  ASSERT_EQ(p1.v4.size(), p2.v4.size());
  for (std::size_t i = 0; i < p1.v4.size(); ++i) EXPECT_EQ(p1.v4[i].network, p2.v4[i].network);
  ASSERT_EQ(p1.routes.size(), p2.routes.size());
  for (std::size_t i = 0; i < p1.routes.size(); ++i) EXPECT_EQ(p1.routes[i].meta.name, p2.routes[i].meta.name);
  // equal timestamps and namespaces: the name decides (as Linkerd), not the input order (b was read first).
  EXPECT_EQ(p1.networks[*p1.network_for(ip("192.0.2.1"))].name, "a");
  EXPECT_EQ(p2.networks[*p2.network_for(ip("192.0.2.1"))].name, "a");
}

TEST(CompileDiagnostics, ClusterOverlapStillCaptured) {
  Resources r;
  r.egress("linkerd-egress", "in", TrafficPolicy::Deny, std::vector<Network>{net("10.1.0.0/16")});
  const Plan p = compile(r.rs, "app");
  EXPECT_TRUE(has_diag(p, "in", "EgressReasonNetworkOverlap"));
  EXPECT_TRUE(p.network_for(ip("10.1.2.3")));
}

}  // namespace
}  // namespace nfegress::policy
