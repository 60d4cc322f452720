// tests/enforcer/metrics_test.cpp — Prometheus exposition: exact text, label escaping, hostname switch,
// concurrent increments, collectors, labels from a matcher decision.
#include "enforcer/metrics.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace nfegress::enforcer {
namespace {

RouteLabels tls_deny() {
  RouteLabels l;
  l.parent_namespace = "linkerd-egress";
  l.parent_name = "all-egress";
  l.parent_port = 443;
  l.route_kind = "default";
  l.route_namespace = "linkerd-egress";
  l.route_name = "tls-egress-deny";
  l.hostname = "github.com";
  return l;
}

const char* kEmptyOwn =
    "# HELP nfegress_flows_decided_total Inspected flows decided by the enforcer, by verdict\n"
    "# TYPE nfegress_flows_decided_total counter\n"
    "nfegress_flows_decided_total{verdict=\"allow\"} 0\n"
    "nfegress_flows_decided_total{verdict=\"deny\"} 0\n"
    "# HELP nfegress_bounds_hit_total Flows denied because an inspection bound (bytes, segments, time, flows) was "
    "hit\n"
    "# TYPE nfegress_bounds_hit_total counter\n"
    "nfegress_bounds_hit_total 0\n"
    "# HELP nfegress_parse_failures_total Malformed TLS ClientHellos or HTTP requests\n"
    "# TYPE nfegress_parse_failures_total counter\n"
    "nfegress_parse_failures_total 0\n"
    "# HELP nfegress_queue_drops_total Packets the kernel dropped because the NFQUEUE was full\n"
    "# TYPE nfegress_queue_drops_total counter\n"
    "nfegress_queue_drops_total 0\n"
    "# HELP nfegress_reload_failures_total Policy reloads that failed (invalid manifests or kernel error); the old "
    "policy was kept\n"
    "# TYPE nfegress_reload_failures_total counter\n"
    "nfegress_reload_failures_total 0\n"
    "# HELP nfegress_reloads_total Policies applied (kernel and matcher), the first one included\n"
    "# TYPE nfegress_reloads_total counter\n"
    "nfegress_reloads_total 0\n";

const char* kEmptyRoutes =
    "# HELP outbound_http_route_request_statuses_total Completed HTTP requests by route and status\n"
    "# TYPE outbound_http_route_request_statuses_total counter\n"
    "# HELP outbound_grpc_route_request_statuses_total Completed gRPC requests by route and status\n"
    "# TYPE outbound_grpc_route_request_statuses_total counter\n"
    "# HELP outbound_tls_route_open_total TLS connections opened, by route\n"
    "# TYPE outbound_tls_route_open_total counter\n"
    "# HELP outbound_tls_route_close_total TLS connections closed, by route and error\n"
    "# TYPE outbound_tls_route_close_total counter\n"
    "# HELP outbound_tcp_route_open_total TCP connections opened, by route\n"
    "# TYPE outbound_tcp_route_open_total counter\n"
    "# HELP outbound_tcp_route_close_total TCP connections closed, by route and error\n"
    "# TYPE outbound_tcp_route_close_total counter\n";

TEST(Metrics, EmptyExpositionIsExact) {
  Metrics m;
  EXPECT_EQ(m.render(), std::string(kEmptyRoutes) + kEmptyOwn);
}

TEST(Metrics, LinkerdLabelsHostnameOffByDefault) {
  Metrics m;
  m.tls_close(tls_deny(), "forbidden");
  m.tls_close(tls_deny(), "forbidden");
  const std::string text = m.render();
  EXPECT_NE(text.find("outbound_tls_route_close_total{parent_group=\"policy.linkerd.io\",parent_kind=\"EgressNetwork\","
                      "parent_namespace=\"linkerd-egress\",parent_name=\"all-egress\",parent_port=\"443\","
                      "route_group=\"\",route_kind=\"default\",route_namespace=\"linkerd-egress\","
                      "route_name=\"tls-egress-deny\",hostname=\"\",error=\"forbidden\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("github.com"), std::string::npos);
}

TEST(Metrics, HostnameLabelWhenEnabled) {
  Metrics m(MetricsOptions{true});
  m.tls_open(tls_deny());
  EXPECT_NE(m.render().find("route_name=\"tls-egress-deny\",hostname=\"github.com\"} 1\n"), std::string::npos);
}

TEST(Metrics, HttpStatusSeriesSortedAndExact) {
  Metrics m;
  RouteLabels l;
  l.parent_namespace = "app";
  l.parent_name = "web";
  l.parent_port = 80;
  l.route_group = "gateway.networking.k8s.io";
  l.route_kind = "HTTPRoute";
  l.route_namespace = "app";
  l.route_name = "get-only";
  m.http_status(l, 403, "forbidden");
  m.http_status(l, 200, "");
  m.http_status(l, 200, "");
  const std::string common =
      "parent_group=\"policy.linkerd.io\",parent_kind=\"EgressNetwork\",parent_namespace=\"app\","
      "parent_name=\"web\",parent_port=\"80\",route_group=\"gateway.networking.k8s.io\",route_kind=\"HTTPRoute\","
      "route_namespace=\"app\",route_name=\"get-only\",hostname=\"\"";
  const std::string expected =
      "# HELP outbound_http_route_request_statuses_total Completed HTTP requests by route and status\n"
      "# TYPE outbound_http_route_request_statuses_total counter\n"
      "outbound_http_route_request_statuses_total{" + common + ",http_status=\"200\",error=\"\"} 2\n"
      "outbound_http_route_request_statuses_total{" + common + ",http_status=\"403\",error=\"forbidden\"} 1\n";
  EXPECT_EQ(m.render().substr(0, expected.size()), expected);
}

TEST(Metrics, LabelValuesEscaped) {
  EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  Metrics m(MetricsOptions{true});
  RouteLabels l;
  l.hostname = "x\"y";
  m.tcp_open(l);
  EXPECT_NE(m.render().find("hostname=\"x\\\"y\"} 1\n"), std::string::npos);
}

TEST(Metrics, OwnCountersAndCollectorsRenderSorted) {
  Metrics m;
  m.reloads = 3;
  m.flows_denied += 2;
  m.add_collector([](std::vector<Sample>& s) {
    s.push_back({"nfegress_z_total", "z", 5});
    s.push_back({"nfegress_a_total", "a", 7});
  });
  const std::string text = m.render();
  EXPECT_NE(text.find("nfegress_reloads_total 3\n"), std::string::npos);
  EXPECT_NE(text.find("nfegress_flows_decided_total{verdict=\"deny\"} 2\n"), std::string::npos);
  const auto a = text.find("nfegress_a_total 7\n");
  const auto z = text.find("nfegress_z_total 5\n");
  ASSERT_NE(a, std::string::npos);
  ASSERT_NE(z, std::string::npos);
  EXPECT_LT(a, z);
  EXPECT_EQ(text, m.render());  // deterministic
}

TEST(Metrics, ConcurrentIncrementsAreNotLost) {
  Metrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&m, t] {
      RouteLabels l = tls_deny();
      l.parent_port = static_cast<std::uint16_t>(443 + t % 2);
      for (int i = 0; i < 1000; ++i) {
        m.tls_open(l);
        ++m.flows_allowed;
      }
    });
  for (auto& th : threads) th.join();
  const std::string text = m.render();
  EXPECT_NE(text.find("parent_port=\"443\",route_group=\"\",route_kind=\"default\",route_namespace=\"linkerd-egress\","
                      "route_name=\"tls-egress-deny\",hostname=\"\"} 2000\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("parent_port=\"444\""), std::string::npos);
  EXPECT_NE(text.find("nfegress_flows_decided_total{verdict=\"allow\"} 4000\n"), std::string::npos);
}

TEST(Metrics, RouteLabelsFromDecision) {
  policy::Plan plan;
  plan.networks.push_back({});
  plan.networks[0].ns = "app";
  plan.networks[0].name = "web";
  policy::Route r;
  r.meta.ns = "app";
  r.meta.name = "only-get";
  r.kind = policy::RouteKind::HTTP;
  r.api_group = "policy.linkerd.io";
  plan.routes.push_back(r);

  policy::Decision d;
  d.kind = policy::DecisionKind::Allow;
  d.network = 0;
  d.route = policy::RouteRef{"HTTPRoute", "app", "only-get", false};
  RouteLabels l = route_labels(plan, d, 80, "example.org");
  EXPECT_EQ(l.parent_namespace, "app");
  EXPECT_EQ(l.parent_name, "web");
  EXPECT_EQ(l.parent_port, 80);
  EXPECT_EQ(l.route_group, "policy.linkerd.io");
  EXPECT_EQ(l.route_kind, "HTTPRoute");
  EXPECT_EQ(l.route_name, "only-get");
  EXPECT_EQ(l.hostname, "example.org");

  d.route = policy::RouteRef{"default", "app", "http-egress-deny", true};
  EXPECT_EQ(route_labels(plan, d, 80, "").route_group, "");
  EXPECT_EQ(route_labels(plan, policy::Decision{}, 80, "").parent_name, "");
}

}  // namespace
}  // namespace nfegress::enforcer
