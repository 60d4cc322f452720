// tests/enforcer/metrics_test.cpp — Prometheus exposition: exact text, label escaping, hostname switch,
// concurrent increments, collectors, labels from a matcher decision.
#include "enforcer/metrics.hpp"
#include "engine_policy.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
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

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The complete exposition with nothing counted yet: every family, in order, with HELP and TYPE. A change here is
// a change dashboards see; update the golden file on purpose only.
TEST(Metrics, EmptyExpositionIsExact) {
  Metrics m;
  const std::string path = NFEGRESS_SOURCE_DIR "/tests/enforcer/golden/metrics_empty.prom";
  if (std::getenv("NFEGRESS_UPDATE_GOLDEN")) std::ofstream(path) << m.render();  // review the diff
  const std::string golden = read_file(path);
  ASSERT_FALSE(golden.empty());
  EXPECT_EQ(m.render(), golden);
  Counters zero;
  m.attach(&zero);
  EXPECT_EQ(m.render(), golden);
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
  Counters c;
  c.flows_denied = 2;
  c.bound_timeout = 4;
  c.parse_failures_tls = 1;
  c.flows_pending = 6;
  c.verdicts_sent = 9;
  m.attach(&c);
  m.reloads = 3;
  m.add_collector([](std::vector<Sample>& s) {
    s.push_back({"nfegress_z_total", "z", 5});
    s.push_back({"nfegress_a_total", "a", 7});
  });
  const std::string text = m.render();
  EXPECT_NE(text.find("nfegress_reloads_total 3\n"), std::string::npos);
  EXPECT_NE(text.find("nfegress_flows_decided_total{verdict=\"deny\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("nfegress_bounds_hit_total{bound=\"timeout\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("nfegress_parse_failures_total{protocol=\"tls\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("nfegress_flows_pending 6\n"), std::string::npos);
  EXPECT_NE(text.find("nfegress_verdicts_sent_total 9\n"), std::string::npos);
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
        ++m.queue_drops;
      }
    });
  for (auto& th : threads) th.join();
  const std::string text = m.render();
  EXPECT_NE(text.find("parent_port=\"443\",route_group=\"\",route_kind=\"default\",route_namespace=\"linkerd-egress\","
                      "route_name=\"tls-egress-deny\",hostname=\"\"} 2000\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("parent_port=\"444\""), std::string::npos);
  EXPECT_NE(text.find("nfegress_queue_drops_total 4000\n"), std::string::npos);
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
  d.route_source = policy::RouteSource::Route;
  d.route = 0;  // only-get
  RouteLabels l = route_labels(plan, d, 80, "example.org");
  EXPECT_EQ(l.parent_namespace, "app");
  EXPECT_EQ(l.parent_name, "web");
  EXPECT_EQ(l.parent_port, 80);
  EXPECT_EQ(l.route_group, "policy.linkerd.io");
  EXPECT_EQ(l.route_kind, "HTTPRoute");
  EXPECT_EQ(l.route_name, "only-get");
  EXPECT_EQ(l.hostname, "example.org");

  d.route_source = policy::RouteSource::Default;
  d.default_kind = policy::Inspection::Http;
  EXPECT_EQ(route_labels(plan, d, 80, "").route_group, "");
  EXPECT_EQ(route_labels(plan, d, 80, "").route_name, "http-egress-deny");
  EXPECT_EQ(route_labels(plan, policy::Decision{}, 80, "").parent_name, "");
}

TEST(Metrics, CountDecisionFromEngineRecords) {
  policy::Plan plan;
  policy::Route route;
  route.meta.ns = "app";
  route.meta.name = "get";
  route.kind = policy::RouteKind::HTTP;
  route.api_group = "gateway.networking.k8s.io";
  plan.routes.push_back(route);
  Metrics m;

  DecisionRecord tls;
  tls.network = "linkerd-egress/all-egress";
  tls.dport = 443;
  tls.protocol = "tls";
  tls.host = "github.com";
  tls.route = policy::RouteRef{"default", "linkerd-egress", "tls-egress-deny", true};
  tls.verdict = FlowVerdict::Deny;
  m.count_decision(tls, &plan);

  DecisionRecord http;
  http.network = "app/web";
  http.dport = 80;
  http.protocol = "http";
  http.route = policy::RouteRef{"HTTPRoute", "app", "get", false};
  http.verdict = FlowVerdict::Allow;
  m.count_decision(http, &plan);

  const std::string text = m.render();
  const std::string tls_labels =
      "{parent_group=\"policy.linkerd.io\",parent_kind=\"EgressNetwork\",parent_namespace=\"linkerd-egress\","
      "parent_name=\"all-egress\",parent_port=\"443\",route_group=\"\",route_kind=\"default\","
      "route_namespace=\"linkerd-egress\",route_name=\"tls-egress-deny\",hostname=\"\"";
  EXPECT_NE(text.find("outbound_tls_route_open_total" + tls_labels + "} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("outbound_tls_route_close_total" + tls_labels + ",error=\"forbidden\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("parent_name=\"web\",parent_port=\"80\",route_group=\"gateway.networking.k8s.io\","
                      "route_kind=\"HTTPRoute\",route_namespace=\"app\",route_name=\"get\",hostname=\"\","
                      "http_status=\"\",error=\"\"} 1\n"),
            std::string::npos);
  EXPECT_EQ(text.find("outbound_tcp_route_open_total{"), std::string::npos);
}

// Issue 19: a worker thread remembers the series of each kind of decision (plan, network, port, route, protocol,
// verdict, audit and, with the hostname label, the host). Counts stay exact across hosts, verdicts, two Metrics
// on one thread and a new plan.
TEST(Metrics, RememberedSeriesStayExact) {
  const auto compiled = test::compile_engine_policy();
  const std::shared_ptr<const policy::Plan> plan(compiled, &compiled->plan);
  Metrics plain, by_host(MetricsOptions{true});
  DecisionRecord r;
  r.network = "linkerd-egress/all";
  r.dport = 443;
  r.protocol = "tls";
  r.route = policy::RouteRef{"default", "linkerd-egress", "tls-egress-deny", true};
  r.verdict = FlowVerdict::Deny;
  r.host = "a.example";
  r.plan = plan;
  plain.count_decision(r, plan.get());
  by_host.count_decision(r, plan.get());
  plain.count_decision(r, plan.get());
  r.host = "b.example";
  by_host.count_decision(r, plan.get());
  r.verdict = FlowVerdict::Allow;
  plain.count_decision(r, plan.get());
  const auto compiled2 = test::compile_engine_policy();  // another plan: the same labels, counted on
  r.plan = std::shared_ptr<const policy::Plan>(compiled2, &compiled2->plan);
  plain.count_decision(r, r.plan.get());
  const std::string labels = "route_name=\"tls-egress-deny\",hostname=\"";
  const std::string p = plain.render(), h = by_host.render();
  EXPECT_NE(p.find("outbound_tls_route_open_total{" ), std::string::npos);
  EXPECT_NE(p.find(labels + "\"} 4\n"), std::string::npos) << p;
  EXPECT_NE(p.find(labels + "\",error=\"forbidden\"} 2\n"), std::string::npos) << p;
  EXPECT_NE(h.find(labels + "a.example\"} 1\n"), std::string::npos) << h;
  EXPECT_NE(h.find(labels + "b.example\"} 1\n"), std::string::npos) << h;
  EXPECT_NE(h.find(labels + "a.example\",error=\"forbidden\"} 1\n"), std::string::npos) << h;
  EXPECT_NE(h.find(labels + "b.example\",error=\"forbidden\"} 1\n"), std::string::npos) << h;
}

TEST(Metrics, GrpcCallsCountAsGrpcStatuses) {
  policy::Plan plan;
  Metrics m;
  DecisionRecord call;
  call.network = "linkerd-egress/all";
  call.dport = 50051;
  call.protocol = "grpc";
  call.route = policy::RouteRef{"default", "linkerd-egress", "grpc-egress-deny", true};
  call.verdict = FlowVerdict::Deny;
  m.count_decision(call, &plan);
  DecisionRecord h2 = call;
  h2.protocol = "http2";
  h2.route = policy::RouteRef{"default", "linkerd-egress", "http-egress-deny", true};
  m.count_decision(h2, &plan);
  const std::string text = m.render();
  EXPECT_NE(text.find("route_name=\"grpc-egress-deny\",hostname=\"\",grpc_status=\"7\",error=\"forbidden\"} 1\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("route_name=\"http-egress-deny\",hostname=\"\",http_status=\"403\",error=\"forbidden\"} 1\n"),
            std::string::npos) << text;
  EXPECT_EQ(text.find("outbound_tcp_route_open_total{"), std::string::npos);
}

// The exit summary and the struct come from the same list (counters.hpp): every member is visited, once.
TEST(Counters, SummaryVisitsEveryMember) {
  Counters c;
  std::size_t n = 0;
  std::uint64_t sum = 0;
  c.dns_answers_no_address = 7;
  for_each_counter(c, [&](const char* name, std::uint64_t v) {
    ++n;
    sum += v;
    EXPECT_NE(std::string(name), "");
  });
  EXPECT_EQ(sizeof(Count), sizeof(std::uint64_t));
  const std::size_t align = alignof(Counters);
  EXPECT_EQ((n * sizeof(Count) + align - 1) / align * align, sizeof(Counters));  // nothing but the counters
  EXPECT_EQ(sum, 7u);
}

// Issue 19: the workers' structs are summed field by field, gauges included, and the exposition shows the sum.
TEST(Counters, WorkersAreSummed) {
  Counters a, b;
  a.flows_allowed = 3;
  b.flows_allowed = 4;
  a.flows_pending = 2;
  b.flows_pending = 5;
  ++b.audit_would_deny;
  Counters sum;
  sum += a;
  sum += b;
  EXPECT_EQ(sum.flows_allowed, 7u);
  EXPECT_EQ(sum.flows_pending, 7u);
  EXPECT_EQ(sum.audit_would_deny, 1u);
  EXPECT_EQ(a.flows_allowed, 3u);  // the operands are untouched
  Metrics m;
  m.attach_reader([&] {
    Counters s;
    s += a;
    s += b;
    return s;
  });
  const std::string text = m.render();
  EXPECT_NE(text.find("nfegress_flows_decided_total{verdict=\"allow\"} 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("nfegress_flows_pending 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("nfegress_audit_would_deny_total 1\n"), std::string::npos) << text;
}

// A counter has one writer (its worker) and readers on other threads: no increment is lost, and a reader never
// sees it go back (single-writer relaxed load and store, counters.hpp).
TEST(Counters, OneWriterManyReaders) {
  Counters c;
  constexpr std::uint64_t kN = 1'000'000;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (std::uint64_t i = 0; i < kN; ++i) ++c.packets_received;
    done = true;
  });
  std::uint64_t last = 0, reads = 0;
  bool monotonic = true;
  do {  // at least once: on a loaded machine the writer may finish before this thread runs
    Counters sum;
    sum += c;
    const std::uint64_t v = sum.packets_received;
    monotonic = monotonic && v >= last;
    last = v;
    ++reads;
  } while (!done.load());
  writer.join();
  EXPECT_TRUE(monotonic);
  EXPECT_EQ(c.packets_received, kN);
  EXPECT_GT(reads, 0u);
}

// An answer without addresses is counted as such (no longer derived from the total).
TEST(Counters, NoAddressIsItsOwnSample) {
  Metrics m;
  Counters c;
  c.dns_answers_no_address = 3;
  m.attach(&c);
  EXPECT_NE(m.render().find("nfegress_dns_answers_total{result=\"no_address\"} 3\n"), std::string::npos);
}

}  // namespace
}  // namespace nfegress::enforcer
