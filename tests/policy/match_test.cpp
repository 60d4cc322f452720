// tests/policy/match_test.cpp — the matching rules of docs/policy-reference.md ("Routes"), one test per rule, through
// Matcher::decide.
#include <gtest/gtest.h>

#include "policy/compile.hpp"
#include "policy/hostname_index.hpp"
#include "policy/match.hpp"
#include "semantics_fixtures.hpp"

namespace nfegress::policy {
namespace {
using namespace testing;

RequestInfo http(std::optional<std::string> host, std::string path = "/", std::string method = "GET",
                 std::vector<std::pair<std::string, std::string>> headers = {}, std::string query = "") {
  RequestInfo r;
  r.http = true;
  r.host = std::move(host);
  r.path = std::move(path);
  r.method = std::move(method);
  r.headers = std::move(headers);
  r.query = std::move(query);
  return r;
}
RequestInfo tls(std::optional<std::string> sni) {
  RequestInfo r;
  r.tls = true;
  r.sni = std::move(sni);
  return r;
}

class MatchFixture : public ::testing::Test {
 protected:
  Resources r;
  void SetUp() override { r.egress("linkerd-egress", "all", TrafficPolicy::Deny); }
  // Name of the deciding route ("" = default), after checking allow/deny consistency.
  std::string winner(std::uint16_t port, const RequestInfo& req, DecisionKind* kind = nullptr) {
    const Plan p = compile(r.rs, "app");
    const Matcher m(p);
    const Decision d = m.decide(ip("192.0.2.1"), port, Proto::Tcp, req);
    if (kind) *kind = d.kind;
    const auto route = m.route(d);
    if (!route || route->is_default) return "";
    return route->name;
  }
  Route& http_route(const std::string& name, std::vector<std::string> hosts, std::vector<RouteRule> rules = {RouteRule{}},
                    std::optional<std::int64_t> created = std::nullopt) {
    return r.route(RouteKind::HTTP, "linkerd-egress", name, "all", 80, std::move(hosts), std::move(rules), created);
  }
  Route& tls_route(const std::string& name, std::vector<std::string> hosts,
                   std::optional<std::int64_t> created = std::nullopt) {
    return r.route(RouteKind::TLS, "linkerd-egress", name, "all", 443, std::move(hosts), {RouteRule{}}, created);
  }
};

TEST_F(MatchFixture, ExactHostCaseInsensitiveTrailingDot) {
  http_route("a", {"api.example.com"});
  EXPECT_EQ(winner(80, http("API.Example.COM")), "a");
  EXPECT_EQ(winner(80, http("api.example.com.")), "a");
  EXPECT_EQ(winner(80, http("api.example.co")), "");
}

TEST_F(MatchFixture, WildcardOneOrMoreLabelsNotApex) {
  http_route("w", {"*.example.com"});
  EXPECT_EQ(winner(80, http("a.example.com")), "w");
  EXPECT_EQ(winner(80, http("a.b.example.com")), "w");
  EXPECT_EQ(winner(80, http("example.com")), "");
  EXPECT_EQ(winner(80, http("aexample.com")), "");
}

TEST_F(MatchFixture, RouteWithHostnamesNeverMatchesNoHost) {
  http_route("h", {"example.com"});
  EXPECT_EQ(winner(80, http(std::nullopt)), "");
  http_route("any", {});
  EXPECT_EQ(winner(80, http(std::nullopt)), "any");
}

TEST_F(MatchFixture, HostPrecedence) {
  http_route("none", {}, {http_rule({path_exact("/very/long/exact/path")})});
  http_route("short", {"*.com"});
  http_route("long", {"*.example.com"});
  http_route("exact", {"api.example.com"});
  EXPECT_EQ(winner(80, http("api.example.com", "/very/long/exact/path")), "exact");
  EXPECT_EQ(winner(80, http("www.example.com", "/very/long/exact/path")), "long");
  EXPECT_EQ(winner(80, http("www.foo.com", "/very/long/exact/path")), "short");
  EXPECT_EQ(winner(80, http("www.example.org", "/very/long/exact/path")), "none");
  EXPECT_EQ(winner(80, http("www.example.org", "/other")), "");
}

TEST_F(MatchFixture, HostPrecedenceFallsThroughWhenNoRuleMatches) {
  http_route("exact", {"api.example.com"}, {http_rule({path_exact("/only")})});
  http_route("wild", {"*.example.com"});
  EXPECT_EQ(winner(80, http("api.example.com", "/only")), "exact");
  EXPECT_EQ(winner(80, http("api.example.com", "/other")), "wild");
}

TEST_F(MatchFixture, RouteWithoutHostnamesMatchesAnyHost) {
  http_route("any", {}, {http_rule({path_exact("/x")})});
  EXPECT_EQ(winner(80, http("www.example.org", "/x")), "any");
}

TEST_F(MatchFixture, PathExact) {
  http_route("e", {}, {http_rule({path_exact("/get")})});
  EXPECT_EQ(winner(80, http("h", "/get")), "e");
  EXPECT_EQ(winner(80, http("h", "/get/")), "");
  EXPECT_EQ(winner(80, http("h", "/getx")), "");
}

TEST_F(MatchFixture, PathPrefixWholeSegmentsTrailingSlashIgnored) {
  http_route("p", {}, {http_rule({path_prefix("/foo/")})});
  EXPECT_EQ(winner(80, http("h", "/foo")), "p");
  EXPECT_EQ(winner(80, http("h", "/foo/bar")), "p");
  EXPECT_EQ(winner(80, http("h", "/foobar")), "");
  EXPECT_EQ(winner(80, http("h", "/")), "");
}

TEST_F(MatchFixture, PathRegexWholePath) {
  http_route("re", {}, {http_rule({path_regex("/v[0-9]+/items")})});
  EXPECT_EQ(winner(80, http("h", "/v2/items")), "re");
  EXPECT_EQ(winner(80, http("h", "/v2/items/3")), "");
  EXPECT_EQ(winner(80, http("h", "/x/v2/items")), "");
}

TEST_F(MatchFixture, InvalidRegexNeverMatches) {
  http_route("bad", {}, {http_rule({path_regex("/(")})});
  EXPECT_EQ(winner(80, http("h", "/(")), "");
}

TEST_F(MatchFixture, NoMatchesMeansPrefixSlash) {
  http_route("all", {}, {http_rule({})});
  EXPECT_EQ(winner(80, http("h", "/anything/at/all")), "all");
}

TEST_F(MatchFixture, LongerPathWins) {
  http_route("short", {}, {http_rule({path_prefix("/api")})});
  http_route("long", {}, {http_rule({path_prefix("/api/v1")})});
  EXPECT_EQ(winner(80, http("h", "/api/v1/x")), "long");
  EXPECT_EQ(winner(80, http("h", "/api/v2")), "short");
}

TEST_F(MatchFixture, HeadersThenQueryThenMethodBreakEqualPaths) {
  auto with = [](std::vector<HeaderMatch> h, std::vector<HeaderMatch> q, std::optional<std::string> method) {
    HttpRouteMatch m = path_prefix("/api");
    m.headers = std::move(h);
    m.query_params = std::move(q);
    m.method = std::move(method);
    return m;
  };
  const HeaderMatch hx{StringMatchType::Exact, "X-Team", "blue"};
  const HeaderMatch qa{StringMatchType::Exact, "a", "1"};
  http_route("plain", {}, {http_rule({with({}, {}, std::nullopt)})}, 1);
  http_route("method", {}, {http_rule({with({}, {}, "GET")})}, 2);
  http_route("query", {}, {http_rule({with({}, {qa}, std::nullopt)})}, 3);
  http_route("header", {}, {http_rule({with({hx}, {}, std::nullopt)})}, 4);
  EXPECT_EQ(winner(80, http("h", "/api", "GET", {{"x-team", "blue"}}, "a=1")), "header");
  EXPECT_EQ(winner(80, http("h", "/api", "GET", {{"x-team", "red"}}, "a=1")), "query");
  EXPECT_EQ(winner(80, http("h", "/api", "GET", {}, "b=1")), "method");
  EXPECT_EQ(winner(80, http("h", "/api", "POST")), "plain");
}

TEST_F(MatchFixture, HeaderNameCaseInsensitiveRegexValue) {
  HttpRouteMatch m = path_prefix("/");
  m.headers.push_back({StringMatchType::RegularExpression, "User-Agent", "curl/[0-9.]+"});
  http_route("ua", {}, {http_rule({m})});
  EXPECT_EQ(winner(80, http("h", "/", "GET", {{"user-agent", "curl/8.1"}})), "ua");
  EXPECT_EQ(winner(80, http("h", "/", "GET", {{"user-agent", "curl/8.1 extra"}})), "");
  EXPECT_EQ(winner(80, http("h", "/", "GET", {})), "");
}

TEST_F(MatchFixture, QueryExactAndRegex) {
  HttpRouteMatch m = path_prefix("/");
  m.query_params.push_back({StringMatchType::Exact, "page", "2"});
  m.query_params.push_back({StringMatchType::RegularExpression, "q", "[a-z]+"});
  http_route("q", {}, {http_rule({m})});
  EXPECT_EQ(winner(80, http("h", "/", "GET", {}, "q=abc&page=2")), "q");
  EXPECT_EQ(winner(80, http("h", "/", "GET", {}, "q=ABC&page=2")), "");
  EXPECT_EQ(winner(80, http("h", "/", "GET", {}, "page=2")), "");
}

TEST_F(MatchFixture, TiesOlderRouteThenNameThenRuleOrder) {
  http_route("b", {}, {http_rule({path_prefix("/x")})}, 5);
  http_route("a", {}, {http_rule({path_prefix("/x")})}, 9);
  EXPECT_EQ(winner(80, http("h", "/x")), "b");  // older
  r.rs.routes[0].meta.creation = 9;
  EXPECT_EQ(winner(80, http("h", "/x")), "b");  // same timestamp: read earlier counts as older
  r.rs.routes[0].meta.input_order = r.rs.routes[1].meta.input_order;
  EXPECT_EQ(winner(80, http("h", "/x")), "a");  // same age: name
}

TEST_F(MatchFixture, RuleOrderDecidesInsideOneRoute) {
  // rule 0 denies (Service backend), rule 1 lets through; same score: rule 0 wins.
  http_route("r", {}, {http_rule({path_prefix("/x")}, {service_backend("s")}), http_rule({path_prefix("/x")})});
  DecisionKind k{};
  EXPECT_EQ(winner(80, http("h", "/x"), &k), "r");
  EXPECT_EQ(k, DecisionKind::Deny);
}

TEST_F(MatchFixture, NonHttpOnHttpPortFallsToDefault) {
  http_route("a", {});
  DecisionKind k{};
  EXPECT_EQ(winner(80, tls("example.com"), &k), "");
  EXPECT_EQ(k, DecisionKind::Deny);
  EXPECT_EQ(winner(80, RequestInfo{}, &k), "");
}

TEST_F(MatchFixture, TlsTiersAndTies) {
  tls_route("none", {}, 1);
  tls_route("wild", {"*.example.com"}, 2);
  tls_route("wild2", {"*.b.example.com"}, 3);
  tls_route("exact", {"a.b.example.com"}, 4);
  EXPECT_EQ(winner(443, tls("a.b.example.com")), "exact");
  EXPECT_EQ(winner(443, tls("c.b.example.com")), "wild2");
  EXPECT_EQ(winner(443, tls("c.example.com")), "wild");
  EXPECT_EQ(winner(443, tls("other.org")), "none");
  tls_route("exact-old", {"a.b.example.com"}, 0);
  EXPECT_EQ(winner(443, tls("a.b.example.com")), "exact-old");
}

TEST_F(MatchFixture, TlsWithoutSniDeniedUnderDeny) {
  tls_route("none", {});
  DecisionKind k{};
  EXPECT_EQ(winner(443, tls(std::nullopt), &k), "");
  EXPECT_EQ(k, DecisionKind::Deny);
  EXPECT_EQ(winner(443, tls("anything")), "none");
}

// An SNI longer than any DNS name matches no hostname (not even a wildcard its last labels would match), only
// routes without hostnames, and the reason says what it was: its length and its escaped start, no placeholder byte.
TEST_F(MatchFixture, OversizeSniIsDescribedInTheReason) {
  tls_route("wild", {"*.example.com"});
  const std::string sni = "\x1b[2J" + std::string(300, 'a') + ".example.com";
  const Plan p = compile(r.rs, "app");
  const Matcher m(p);
  const Decision d = m.decide(ip("192.0.2.1"), 443, Proto::Tcp, tls(sni));
  EXPECT_EQ(d.kind, DecisionKind::Deny);
  EXPECT_EQ(reason_text(p, d),
            "no TLSRoute on port 443 of EgressNetwork linkerd-egress/all matches an SNI of 316 bytes, longer than any "
            "DNS name, starting '\\x1b[2Jaaaaaaaaaaaaaaaaaaaaaaaaaaaa...': trafficPolicy Deny decides "
            "(tls-egress-deny)");
  EXPECT_EQ(winner(443, tls("a.example.com")), "wild");
  tls_route("none", {});
  EXPECT_EQ(winner(443, tls(sni)), "none");
  // A name that fits is printed escaped, byte for byte.
  const Decision e = m.decide(ip("192.0.2.1"), 443, Proto::Tcp, tls("a\nb\\.org"));
  EXPECT_EQ(reason_text(p, e),
            "no TLSRoute on port 443 of EgressNetwork linkerd-egress/all matches SNI a\\x0ab\\x5c.org: trafficPolicy "
            "Deny decides (tls-egress-deny)");
}

TEST_F(MatchFixture, GrpcServiceAndMethod) {
  RouteRule rule;
  GrpcRouteMatch gm;
  gm.method = GrpcMethodMatch{StringMatchType::Exact, std::string("pkg.Greeter"), std::string("SayHello")};
  rule.grpc_matches.push_back(gm);
  r.route(RouteKind::GRPC, "linkerd-egress", "g", "all", 50051, {}, {rule});
  RouteRule svc_only;
  GrpcRouteMatch sm;
  sm.method = GrpcMethodMatch{StringMatchType::Exact, std::string("pkg.Greeter"), std::nullopt};
  svc_only.grpc_matches.push_back(sm);
  r.route(RouteKind::GRPC, "linkerd-egress", "s", "all", 50051, {}, {svc_only});
  auto call = [](std::string path) {
    RequestInfo q = http("h", std::move(path), "POST", {{"content-type", "application/grpc"}});
    q.grpc = true;
    return q;
  };
  EXPECT_EQ(winner(50051, call("/pkg.Greeter/SayHello")), "g");
  EXPECT_EQ(winner(50051, call("/pkg.Greeter/Other")), "s");
  EXPECT_EQ(winner(50051, call("/pkg.Other/SayHello")), "");
}

TEST_F(MatchFixture, AllowNetworkDefaultAllows) {
  r.rs.networks[0].traffic_policy = TrafficPolicy::Allow;
  http_route("deny", {"blocked.example.com"}, {http_rule({}, {service_backend("s")})});
  DecisionKind k{};
  EXPECT_EQ(winner(80, http("blocked.example.com"), &k), "deny");
  EXPECT_EQ(k, DecisionKind::Deny);
  EXPECT_EQ(winner(80, http("ok.example.com"), &k), "");
  EXPECT_EQ(k, DecisionKind::Allow);
}

TEST(MatchL4, PacketWalk) {
  Resources r;
  r.egress("linkerd-egress", "all", TrafficPolicy::Deny);
  r.egress("linkerd-egress", "open", TrafficPolicy::Allow, std::vector<Network>{net("198.51.100.0/24")});
  r.route(RouteKind::TLS, "linkerd-egress", "t", "all", 443, {"example.com"});
  r.route(RouteKind::TCP, "linkerd-egress", "pg", "all", 5432);
  struct Walk {
    std::string ns, dst;
    std::uint16_t port;
    Proto proto;
    DecisionKind kind;
    bool inspect;
  };
  const std::vector<Walk> walks = {
      {"app", "192.0.2.1", 443, Proto::Tcp, DecisionKind::Deny, true},
      {"app", "192.0.2.1", 5432, Proto::Tcp, DecisionKind::Allow, false},
      {"app", "192.0.2.1", 80, Proto::Tcp, DecisionKind::Deny, false},
      {"app", "192.0.2.1", 53, Proto::Udp, DecisionKind::Deny, false},
      {"app", "198.51.100.1", 53, Proto::Udp, DecisionKind::Allow, false},
      {"app", "198.51.100.1", 80, Proto::Tcp, DecisionKind::Allow, false},
      {"app", "10.0.0.1", 80, Proto::Tcp, DecisionKind::Untouched, false},
      {"app", "2001:db8::1", 443, Proto::Tcp, DecisionKind::Deny, true},
      {"app", "fd00::1", 443, Proto::Tcp, DecisionKind::Untouched, false},
  };
  const Plan p = compile(r.rs, "app");
  const Matcher m(p);
  for (const auto& w : walks) {
    const Decision d = m.decide_l4(ip(w.dst), w.port, w.proto);
    EXPECT_EQ(d.kind, w.kind) << w.dst << ":" << w.port << " " << m.reason(d);
    EXPECT_EQ(d.needs_inspection, w.inspect) << w.dst << ":" << w.port;
  }
  CompileOptions o;
  o.allow_udp = true;
  const Plan pu = compile(r.rs, "app", o);
  EXPECT_EQ(Matcher(pu).decide_l4(ip("192.0.2.1"), 53, Proto::Udp).kind, DecisionKind::Allow);
}

// decide_l4's reason for an inspected port (explain never prints it: decide() goes on to the request).
TEST_F(MatchFixture, InspectedPortReason) {
  tls_route("t", {"example.com"});
  const Plan p = compile(r.rs, "app");
  const Matcher m(p);
  const Decision d = m.decide_l4(ip("192.0.2.1"), 443, Proto::Tcp);
  EXPECT_TRUE(d.needs_inspection);
  EXPECT_EQ(m.reason(d), "port 443 of EgressNetwork linkerd-egress/all is inspected (TLS SNI): the request decides");
  EXPECT_EQ(m.route(d)->name, "tls-egress-deny");
}

}  // namespace
}  // namespace nfegress::policy

namespace nfegress::policy::detail {
namespace {

// The index skips probes for lengths and label counts no name has; these must never skip a real match.
TEST(HostIndex, LengthAndLabelFiltersKeepEveryMatch) {
  HostIndex idx;
  idx.add(0, {"ab.example"});
  idx.add(1, {"*.example"});
  idx.add(2, {"*.x.y.z.example"});
  std::string deep, deep_suffix;
  for (int i = 0; i < 70; ++i) deep += "l.";
  deep += "example";                   // 71 labels
  deep_suffix = deep.substr(2 * 5);    // 66 labels
  idx.add(3, {"*." + deep_suffix});
  idx.add(4, {});
  auto first = [&](std::string_view host) {
    int got = -1;
    idx.visit(host, [&](HostTier, std::string_view, const std::vector<std::uint32_t>& ids) {
      got = static_cast<int>(ids.front());
      return true;
    });
    return got;
  };
  EXPECT_EQ(first("ab.example"), 0);
  EXPECT_EQ(first("abc.example"), 1);
  EXPECT_EQ(first("q.r.x.y.z.example"), 2);
  EXPECT_EQ(first("q.y.z.example"), 1);
  EXPECT_EQ(first(deep), 3);
  EXPECT_EQ(first("example"), 4);
  EXPECT_EQ(first(std::string(300, 'a')), 4);
}

}  // namespace
}  // namespace nfegress::policy::detail
