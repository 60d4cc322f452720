// tests/policy/suggest_test.cpp — `nfegress suggest`'s pure part (policy/suggest.hpp) on decision-log lines written
// by the enforcer's own formatter (enforcer::format_decision), so a change of the log format breaks these tests:
// parsing (and skipping malformed lines), then the property that matters — the suggested YAML loads without
// errors and, explained through the real compiler and matcher, allows every flow seen and denies what was not —
// plus the shape: counts in the comments, aggregation with excepts, wildcards, path depth, determinism.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <random>

#include "enforcer/decision_log.hpp"
#include "policy/explain.hpp"
#include "policy/load.hpp"
#include "policy/suggest.hpp"

namespace nfegress::policy {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Flow {
  std::string ns, network, dst, protocol, host, method = "", path = "";
  bool deny = false;
  int second = 0;
};

// The line the enforcer writes for `f` (src, route and reason are what a real record would carry).
std::string line(const Flow& f) {
  enforcer::DecisionRecord r;
  const auto d = parse_destination(f.dst);
  r.dst = d->first;
  r.dport = d->second;
  r.src = d->first.family == Family::V4 ? *parse_ip("192.0.2.7") : *parse_ip("2001:db8:1::7");
  r.sport = 40000;
  r.client_ns = f.ns;
  r.network = f.network;
  if (!f.network.empty()) r.route = RouteRef{"default", "", f.protocol + "-egress-deny", true};
  r.protocol = f.protocol;
  r.host = f.host;
  r.method = f.method;
  r.path = f.path;
  r.verdict = f.deny ? enforcer::FlowVerdict::Deny : enforcer::FlowVerdict::Allow;
  r.reason = "test";
  const auto t = std::chrono::system_clock::time_point(std::chrono::seconds(1796162645 + f.second));
  return enforcer::format_decision(r, t);
}

// Several pods (app, web, a pod without --namespace), IPv4 and IPv6, TLS/HTTP/gRPC/unknown, allow and deny.
const std::vector<Flow> kFlows = {
    {"app", "linkerd-egress/all", "203.0.113.10:443", "tls", "github.com", "", "", true, 1},
    {"app", "linkerd-egress/all", "203.0.113.11:443", "tls", "API.Example.com.", "", "", false, 2},
    {"app", "linkerd-egress/all", "203.0.113.11:443", "tls", "www.example.com", "", "", false, 3},
    {"app", "linkerd-egress/all", "[2001:db8::5]:80", "http", "httpbin.org:80", "GET", "/get/x?a=1", false, 4},
    {"app", "linkerd-egress/all", "203.0.113.12:80", "http", "httpbin.org", "POST", "/post/v1/y", true, 5},
    {"app", "linkerd-egress/all", "203.0.113.12:80", "http2", "api.example.com", "GET", "/v2/items", false, 6},
    {"app", "linkerd-egress/all", "203.0.113.12:8080", "http", "", "GET", "/health", false, 7},
    {"app", "app/partners", "198.51.100.7:443", "tls", "", "", "", true, 8},
    {"web", "web/partners", "198.51.100.7:5000", "unknown", "", "", "", true, 9},
    {"web", "web/partners", "198.51.100.9:443", "tls", "pay.example.net", "", "", false, 10},
    {"web", "web/partners", "198.51.100.9:443", "unknown", "", "", "", true, 11},
    {"web", "", "198.51.100.8:9090", "grpc", "grpc.example.net", "POST", "/pkg.Svc/Get", false, 12},
    {"", "linkerd-egress/all", "[2001:db8::6]:443", "tls", "ipv6.example.org", "", "", false, 13},
};

std::vector<SuggestRecord> records(const std::vector<Flow>& flows) {
  std::vector<SuggestRecord> out;
  for (const auto& f : flows) {
    std::string why;
    auto r = parse_decision_line(line(f), &why);
    EXPECT_TRUE(r) << why << ": " << line(f);
    if (r) out.push_back(std::move(*r));
  }
  return out;
}

// What explain decides for a flow like `f` against `yaml`, for its client namespace.
std::string decide(const LoadResult& loaded, const Flow& f) {
  ExplainQuery q;
  std::tie(q.dst, q.port) = *parse_destination(f.dst);
  const std::string host = suggest_hostname(f.host);
  if (f.protocol == "tls") {
    q.request.tls = true;
    if (!host.empty()) q.request.sni = host;
  } else if (f.protocol != "unknown") {
    q.request.http = true;
    if (!host.empty()) q.request.host = host;
    q.request.method = f.method;
    q.request.path = f.path.substr(0, f.path.find('?'));
    q.request.grpc = f.protocol == "grpc";
  }
  const auto e = explain(loaded.resources, f.ns.empty() ? "other" : f.ns, CompileOptions{}, q);
  return std::string(decision_name(e.decision.kind)) + " " + e.reason;
}

LoadResult load_ok(const std::string& yaml) {
  auto loaded = load_buffer("suggested.yaml", yaml);
  for (const auto& d : loaded.diagnostics) ADD_FAILURE() << d.format() << "\n" << yaml;
  return loaded;
}

TEST(SuggestRecord, ParsesTheEnforcersLines) {
  const auto r = parse_decision_line(line(kFlows[3]));
  ASSERT_TRUE(r);
  EXPECT_EQ(format_ip(r->dst), "2001:db8::5");
  EXPECT_EQ(r->port, 80);
  EXPECT_EQ(r->client_ns, "app");
  EXPECT_EQ(r->network, "linkerd-egress/all");
  EXPECT_EQ(r->protocol, "http");
  EXPECT_EQ(r->path, "/get/x?a=1");
  EXPECT_EQ(r->timestamp, "2026-12-01T22:04:09.000Z");
  EXPECT_FALSE(r->denied);
  EXPECT_TRUE(parse_decision_line(line(kFlows[0]))->denied);
  // An audited network's would-deny counts as a deny.
  std::string audited = line(kFlows[3]);
  audited.insert(audited.size() - 1, ",\"audit\":\"deny\"");
  EXPECT_TRUE(parse_decision_line(audited)->denied);
}

TEST(SuggestRecord, SaysWhyALineIsSkipped) {
  const std::string good = line(kFlows[0]);
  const auto why = [](std::string_view l) {
    std::string w;
    EXPECT_FALSE(parse_decision_line(l, &w)) << l;
    return w;
  };
  EXPECT_EQ(why("2026-12-01 enforcer started"), "not JSON");
  EXPECT_EQ(why("[1,2]"), "not a JSON object");
  EXPECT_EQ(why(good.substr(0, good.size() / 2)), "not JSON");  // a line cut by a crash
  EXPECT_EQ(why(R"({"timestamp":"t","namespace":"a"})"), "no \"dst\"");
  std::string bad = good;
  bad.replace(bad.find("203.0.113.10:443"), 16, "203.0.113.10");
  EXPECT_THAT(why(bad), HasSubstr("\"dst\" is not IP:PORT"));
  bad = good;
  bad.replace(bad.find("\"deny\""), 6, "\"maybe\"");
  EXPECT_THAT(why(bad), HasSubstr("\"verdict\""));
  bad = good;
  bad.replace(bad.find("\"github.com\""), 12, "42");
  EXPECT_EQ(why(bad), "\"host\" is not a string");
}

TEST(SuggestHelpers, HostnamesAndPathPrefixes) {
  EXPECT_EQ(suggest_hostname("API.Example.com."), "api.example.com");
  EXPECT_EQ(suggest_hostname("example.com:8080"), "example.com");
  EXPECT_EQ(suggest_hostname("203.0.113.5"), "");
  EXPECT_EQ(suggest_hostname("[2001:db8::1]:80"), "");
  EXPECT_EQ(suggest_hostname("*.example.com"), "");
  EXPECT_EQ(suggest_hostname("bad_name"), "");
  EXPECT_EQ(suggest_path_prefix("/api/v1/x", 1), "/api");
  EXPECT_EQ(suggest_path_prefix("/api/v1/x?q=/a/b", 2), "/api/v1");
  EXPECT_EQ(suggest_path_prefix("/api", 3), "/api");
  EXPECT_EQ(suggest_path_prefix("/api//x", 3), "/api");
  EXPECT_EQ(suggest_path_prefix("/", 1), "/");
  EXPECT_EQ(suggest_path_prefix("", 1), "/");
  EXPECT_EQ(suggest_path_prefix("*", 1), "/");
  EXPECT_EQ(suggest_path_prefix("/api/x", 0), "/");
}

void expect_allows_seen_denies_unseen(const SuggestOptions& o) {
  const auto yaml = suggest(records(kFlows), o);
  const auto loaded = load_ok(yaml);
  for (const auto& f : kFlows)
    EXPECT_THAT(decide(loaded, f), HasSubstr("allow")) << f.dst << " " << f.host << "\n" << yaml;
  // Not seen: another SNI, another path, another port, another address, another namespace's flow.
  EXPECT_THAT(decide(loaded, {"app", "", "203.0.113.11:443", "tls", "evil.example"}), HasSubstr("deny"));
  EXPECT_THAT(decide(loaded, {"app", "", "203.0.113.12:80", "http", "httpbin.org", "GET", "/admin"}),
              HasSubstr("deny"));
  EXPECT_THAT(decide(loaded, {"app", "", "203.0.113.10:22", "unknown", ""}), HasSubstr("deny"));
  EXPECT_THAT(decide(loaded, {"app", "", "8.8.8.8:443", "tls", "github.com"}), HasSubstr("deny"));
  EXPECT_THAT(decide(loaded, {"web", "", "203.0.113.10:443", "tls", "github.com"}), HasSubstr("deny"));
}

TEST(Suggest, AllowsEveryFlowSeenAndDeniesOthers) { expect_allows_seen_denies_unseen({}); }

TEST(Suggest, AllowsEveryFlowSeenWhenAggregatedWildcardedAndDeeper) {
  SuggestOptions o;
  o.aggregate_v4 = 24;
  o.aggregate_v6 = 64;
  o.wildcard_depth = 2;
  o.path_depth = 2;
  expect_allows_seen_denies_unseen(o);
}

TEST(Suggest, ShapeOfTheOutput) {
  SuggestOptions o;
  o.aggregate_v4 = 24;
  const auto yaml = suggest(records(kFlows), o);
  // Per-network comment: app's linkerd-egress/all saw 7 flows, 2 of them denied, the last at second 7.
  EXPECT_THAT(yaml, HasSubstr("# covers 7 flows (allow 5, deny 2), last seen 2026-12-01T22:04:12.000Z\n"
                              "apiVersion: policy.linkerd.io/v1alpha1\nkind: EgressNetwork\nmetadata:\n"
                              "  name: \"all\"\n  namespace: \"app\"\nspec:\n  trafficPolicy: Deny\n"
                              "  networks:\n  - cidr: \"203.0.113.8/29\"\n  - cidr: \"2001:db8::5/128\"\n"));
  // web: 198.51.100.7 and .9 merged; .8 belongs to `suggested` (no network), so it is an except.
  EXPECT_THAT(yaml, HasSubstr("  - cidr: \"198.51.100.0/28\"\n    except: [\"198.51.100.8/32\"]\n"));
  EXPECT_THAT(yaml, HasSubstr("  name: \"suggested\"\n  namespace: \"web\"\n"));
  // A pod without --namespace: the global namespace.
  EXPECT_THAT(yaml, HasSubstr("  name: \"all\"\n  namespace: \"linkerd-egress\"\n"));
  // Exact SNIs, sorted; the wildcard only on request.
  EXPECT_THAT(yaml, HasSubstr("  hostnames:\n  - \"api.example.com\"\n  - \"github.com\"\n  - \"www.example.com\"\n"));
  // HTTP: one route per host, PathPrefix of depth 1; a request without Host gets a route without hostnames.
  EXPECT_THAT(yaml, HasSubstr("name: \"all-http-80-httpbin.org\""));
  EXPECT_THAT(yaml, HasSubstr("    - path: {type: PathPrefix, value: \"/get\"}\n"
                              "    - path: {type: PathPrefix, value: \"/post\"}\n"));
  EXPECT_THAT(yaml, HasSubstr("name: \"all-http-8080-any-host\""));
  // TLS and unrecognised flows on one port: a TCPRoute for the port, nothing else there.
  EXPECT_THAT(yaml, HasSubstr("name: \"partners-tcp-443\""));
  EXPECT_THAT(yaml, Not(HasSubstr("partners-tls-443\"\n  namespace: \"web\"")));
  EXPECT_THAT(yaml, HasSubstr("{method: {type: Exact, service: \"pkg.Svc\", method: \"Get\"}}"));
  EXPECT_THAT(yaml, HasSubstr("name: \"deny-unseen\""));
  o.catch_all = false;
  EXPECT_THAT(suggest(records(kFlows), o), Not(HasSubstr("deny-unseen")));
}

TEST(Suggest, WildcardsNeedTwoNamesAndKeepTheParentExact) {
  SuggestOptions o;
  o.wildcard_depth = 2;
  const auto yaml = suggest(records({{"app", "a/n", "203.0.113.1:443", "tls", "a.b.example.com"},
                                     {"app", "a/n", "203.0.113.1:443", "tls", "c.example.com"},
                                     {"app", "a/n", "203.0.113.1:443", "tls", "example.com"},
                                     {"app", "a/n", "203.0.113.1:443", "tls", "x.example.org"}}),
                            o);
  EXPECT_THAT(yaml, HasSubstr("  - \"*.example.com\"\n  - \"example.com\"\n  - \"x.example.org\"\n")) << yaml;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

TEST(Suggest, SplitsAtGatewayApiLimits) {
  std::vector<Flow> flows;
  for (int i = 0; i < 40; ++i)
    flows.push_back({"app", "a/n", "203.0.113.1:443", "tls", "h" + std::to_string(100 + i) + ".example"});
  for (int i = 0; i < 140; ++i)
    flows.push_back(
        {"app", "a/n", "203.0.113.1:80", "http", "api.example", "GET", "/p" + std::to_string(100 + i) + "/x"});
  const auto yaml = suggest(records(flows), {});
  // 16 hostnames per route, 8 matches per rule, 16 rules per route (Gateway API's maxItems).
  EXPECT_EQ(count(yaml, "kind: TLSRoute"), 3u);
  EXPECT_THAT(yaml, HasSubstr("name: \"n-tls-443-3\""));
  EXPECT_THAT(yaml, HasSubstr("# covers 8 flows (allow 8, deny 0)"));
  EXPECT_EQ(count(yaml, "kind: HTTPRoute"), 2u);
  EXPECT_EQ(count(yaml, "  - matches:\n"), 16u + 2u);  // 128 prefixes in 16 rules, then 12 in 2
  const auto loaded = load_ok(yaml);
  for (const auto& f : flows) EXPECT_THAT(decide(loaded, f), HasSubstr("allow")) << f.host << f.path;
}

TEST(Suggest, OpaquePortsGetATcpRoute) {
  // An audited network with its own opaque-ports annotation let HTTP on 6379 be inspected; the suggested network
  // has none, so 6379 is opaque there and only a TCPRoute lets the flow through.
  const std::vector<Flow> flows = {{"app", "a/n", "203.0.113.1:6379", "http", "cache.example", "GET", "/x"}};
  auto yaml = suggest(records(flows), {});
  EXPECT_THAT(yaml, HasSubstr("name: \"n-tcp-6379\""));
  EXPECT_THAT(yaml, Not(HasSubstr("kind: HTTPRoute")));
  EXPECT_THAT(decide(load_ok(yaml), flows[0]), HasSubstr("allow"));
  SuggestOptions o;
  o.opaque_ports = {};
  EXPECT_THAT(suggest(records(flows), o), HasSubstr("kind: HTTPRoute"));
}

TEST(Suggest, NamespaceOptionAndDeterminism) {
  SuggestOptions o;
  o.ns = "egress-review";
  auto rs = records(kFlows);
  const auto yaml = suggest(rs, o);
  EXPECT_THAT(yaml, Not(HasSubstr("namespace: \"app\"")));
  EXPECT_THAT(yaml, HasSubstr("# namespace egress-review: 13 flow(s)"));
  load_ok(yaml);
  std::mt19937 rng(7);
  for (int i = 0; i < 5; ++i) {
    std::shuffle(rs.begin(), rs.end(), rng);
    EXPECT_EQ(suggest(rs, o), yaml);
  }
  EXPECT_EQ(suggest({}, o), "# nfegress suggest: 0 flow(s) (allow 0, deny 0): nothing to suggest\n");
}

}  // namespace
}  // namespace nfegress::policy
