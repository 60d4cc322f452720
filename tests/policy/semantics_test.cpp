// tests/policy/semantics_test.cpp — every example of docs/policy-reference.md ("Examples") as a table test through
// explain's pure code path (parse_destination + compile + Matcher::decide + explanation_json), checking every
// field of the JSON `nfegress explain --output json` prints: decision, egressNetwork, route, reason.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <functional>

#include "policy/compile.hpp"
#include "policy/explain.hpp"
#include "semantics_fixtures.hpp"

namespace nfegress::policy {
namespace {
using namespace testing;

RequestInfo http_req(const std::string& host, const std::string& path = "/", const std::string& method = "GET") {
  RequestFlags f;
  f.host = host;
  f.path = path;
  f.method = method;
  std::string err;
  return *request_from_flags(f, err);
}
RequestInfo tls_req(std::optional<std::string> sni) {
  RequestInfo r;
  r.tls = true;
  r.sni = std::move(sni);
  return r;
}
RequestInfo nothing() { return RequestInfo{}; }

struct Case {
  std::string name;
  std::function<void(Resources&)> setup;
  std::string client_ns;
  std::string to;
  RequestInfo req;
  DecisionKind want;
  std::string network;  // "" = none (JSON null)
  std::string route;    // "KIND NS/NAME" as explain's JSON reports it; "" = null
  Proto proto = Proto::Tcp;
};

void all(Resources& r, TrafficPolicy tp) { r.egress("linkerd-egress", "all", tp); }

const std::vector<Case>& cases() {
  static const std::vector<Case> c = [] {
    std::vector<Case> v;
    auto allow_all = [](Resources& r) { all(r, TrafficPolicy::Allow); };
    auto deny_all = [](Resources& r) { all(r, TrafficPolicy::Deny); };
    // 1, 2
    v.push_back({"ex1_allow_all", allow_all, "app", "1.1.1.1:80", http_req("example.com"), DecisionKind::Allow,
                 "linkerd-egress/all", "default linkerd-egress/tcp-egress-allow"});
    v.push_back({"ex2_deny_http", deny_all, "app", "1.1.1.1:80", http_req("example.com"), DecisionKind::Deny,
                 "linkerd-egress/all", "default linkerd-egress/tcp-egress-deny"});
    v.push_back({"ex2_deny_tls", deny_all, "app", "1.1.1.1:443", tls_req("example.com"), DecisionKind::Deny,
                 "linkerd-egress/all", "default linkerd-egress/tcp-egress-deny"});
    // Deny means deny: non-TCP to a captured address is stopped too (upstream never sees UDP; --allow-udp).
    v.push_back({"ex2_deny_udp", deny_all, "app", "1.1.1.1:53", nothing(), DecisionKind::Deny, "linkerd-egress/all",
                 "", Proto::Udp});
    v.push_back({"ex1_allow_udp", allow_all, "app", "1.1.1.1:53", nothing(), DecisionKind::Allow,
                 "linkerd-egress/all", "", Proto::Udp});
    // 3
    auto ex3 = [](Resources& r) {
      all(r, TrafficPolicy::Deny);
      r.egress("app", "local", TrafficPolicy::Allow, std::vector<Network>{net("203.0.113.0/24")});
    };
    v.push_back({"ex3_local", ex3, "app", "203.0.113.10:80", http_req("x"), DecisionKind::Allow, "app/local", "default app/tcp-egress-allow"});
    v.push_back({"ex3_shadowed", ex3, "app", "8.8.8.8:80", http_req("x"), DecisionKind::Untouched, "", ""});
    v.push_back({"ex3_other_ns", ex3, "other", "8.8.8.8:80", http_req("x"), DecisionKind::Deny,
                 "linkerd-egress/all", "default linkerd-egress/tcp-egress-deny"});
    // 4
    auto ex4 = [](Resources& r) {
      r.egress("linkerd-egress", "a", TrafficPolicy::Deny, std::vector<Network>{net("192.0.2.0/24")}, 100);
      r.egress("linkerd-egress", "b", TrafficPolicy::Allow, std::vector<Network>{net("192.0.2.128/25")}, 200);
    };
    v.push_back({"ex4_smaller", ex4, "app", "192.0.2.200:80", nothing(), DecisionKind::Allow, "linkerd-egress/b", "default linkerd-egress/tcp-egress-allow"});
    v.push_back({"ex4_only_a", ex4, "app", "192.0.2.5:80", nothing(), DecisionKind::Deny, "linkerd-egress/a", "default linkerd-egress/tcp-egress-deny"});
    // Equal sizes and no timestamps: the name decides (Linkerd's compare_matched_egress_network), in either input
    // order. Before issue 15 the first one read won, so "zeta first" went to zeta.
    auto tie_zeta_first = [](Resources& r) {
      r.egress("linkerd-egress", "zeta", TrafficPolicy::Allow, std::vector<Network>{net("192.0.2.0/24")});
      r.egress("linkerd-egress", "alpha", TrafficPolicy::Deny, std::vector<Network>{net("192.0.2.0/24")});
    };
    auto tie_alpha_first = [](Resources& r) {
      r.egress("linkerd-egress", "alpha", TrafficPolicy::Deny, std::vector<Network>{net("192.0.2.0/24")});
      r.egress("linkerd-egress", "zeta", TrafficPolicy::Allow, std::vector<Network>{net("192.0.2.0/24")});
    };
    v.push_back({"tie_name_zeta_read_first", tie_zeta_first, "app", "192.0.2.9:80", nothing(), DecisionKind::Deny,
                 "linkerd-egress/alpha", "default linkerd-egress/tcp-egress-deny"});
    v.push_back({"tie_name_alpha_read_first", tie_alpha_first, "app", "192.0.2.9:80", nothing(), DecisionKind::Deny,
                 "linkerd-egress/alpha", "default linkerd-egress/tcp-egress-deny"});
    // 5
    auto ex5 = [](Resources& r) {
      r.egress("linkerd-egress", "a", TrafficPolicy::Deny,
               std::vector<Network>{net("198.51.100.0/24", {"198.51.100.7"})});
      r.egress("linkerd-egress", "b", TrafficPolicy::Allow, std::vector<Network>{net("198.51.0.0/16")});
    };
    v.push_back({"ex5_except", ex5, "app", "198.51.100.7:80", nothing(), DecisionKind::Allow, "linkerd-egress/b", "default linkerd-egress/tcp-egress-allow"});
    v.push_back({"ex5_in_a", ex5, "app", "198.51.100.8:80", nothing(), DecisionKind::Deny, "linkerd-egress/a", "default linkerd-egress/tcp-egress-deny"});
    // 6, 7
    v.push_back({"ex6_cluster", deny_all, "app", "10.1.2.3:8080", nothing(), DecisionKind::Untouched, "", ""});
    v.push_back({"ex7_v6_captured", allow_all, "app", "[2001:db8::1]:443", tls_req("x"), DecisionKind::Allow,
                 "linkerd-egress/all", "default linkerd-egress/tcp-egress-allow"});
    v.push_back({"ex7_v6_cluster", allow_all, "app", "[fd00::5]:80", nothing(), DecisionKind::Untouched, "", ""});
    // 8
    auto ex8 = [](Resources& r) {
      r.egress("linkerd-egress", "a", TrafficPolicy::Deny, std::nullopt, 1);
      r.egress("linkerd-egress", "b", TrafficPolicy::Allow, std::vector<Network>{net("2001:db8::/96")}, 2);
    };
    v.push_back({"ex8_exact_sizes", ex8, "app", "[2001:db8::5]:80", nothing(), DecisionKind::Allow,
                 "linkerd-egress/b", "default linkerd-egress/tcp-egress-allow"});
    // 9
    auto ex9 = [](Resources& r) {
      all(r, TrafficPolicy::Deny);
      r.route(RouteKind::HTTP, "linkerd-egress", "get", "all", 80, {}, {http_rule({path_exact("/get")})});
    };
    v.push_back({"ex9_get", ex9, "app", "1.1.1.1:80", http_req("httpbin.org", "/get"), DecisionKind::Allow,
                 "linkerd-egress/all", "HTTPRoute linkerd-egress/get"});
    v.push_back({"ex9_ip", ex9, "app", "1.1.1.1:80", http_req("httpbin.org", "/ip"), DecisionKind::Deny,
                 "linkerd-egress/all", "default linkerd-egress/http-egress-deny"});
    v.push_back({"ex9_other_port", ex9, "app", "1.1.1.1:8080", http_req("httpbin.org", "/get"), DecisionKind::Deny,
                 "linkerd-egress/all", "default linkerd-egress/tcp-egress-deny"});
    // 10
    auto ex10 = [](Resources& r) {
      all(r, TrafficPolicy::Deny);
      r.route(RouteKind::TLS, "linkerd-egress", "httpbin", "all", 443, {"httpbin.org"});
    };
    v.push_back({"ex10_sni_ok", ex10, "app", "1.1.1.1:443", tls_req("httpbin.org"), DecisionKind::Allow,
                 "linkerd-egress/all", "TLSRoute linkerd-egress/httpbin"});
    v.push_back({"ex10_sni_other", ex10, "app", "1.1.1.1:443", tls_req("github.com"), DecisionKind::Deny,
                 "linkerd-egress/all", "default linkerd-egress/tls-egress-deny"});
    v.push_back({"ex10_plaintext", ex10, "app", "1.1.1.1:443", http_req("httpbin.org"), DecisionKind::Deny,
                 "linkerd-egress/all", "default linkerd-egress/tls-egress-deny"});
    v.push_back({"ex10_no_sni", ex10, "app", "1.1.1.1:443", tls_req(std::nullopt), DecisionKind::Deny,
                 "linkerd-egress/all", "default linkerd-egress/tls-egress-deny"});
    // 11
    auto ex11 = [](Resources& r) {
      all(r, TrafficPolicy::Deny);
      r.route(RouteKind::TLS, "linkerd-egress", "wild", "all", 443, {"*.example.com"});
    };
    v.push_back({"ex11_one_label", ex11, "app", "1.1.1.1:443", tls_req("api.example.com"), DecisionKind::Allow,
                 "linkerd-egress/all", "TLSRoute linkerd-egress/wild"});
    v.push_back({"ex11_two_labels", ex11, "app", "1.1.1.1:443", tls_req("a.b.example.com"), DecisionKind::Allow,
                 "linkerd-egress/all", "TLSRoute linkerd-egress/wild"});
    v.push_back({"ex11_apex", ex11, "app", "1.1.1.1:443", tls_req("example.com"), DecisionKind::Deny,
                 "linkerd-egress/all", "default linkerd-egress/tls-egress-deny"});
    // 12
    auto ex12 = [](Resources& r) {
      all(r, TrafficPolicy::Deny);
      r.route(RouteKind::HTTP, "linkerd-egress", "a", "all", 80, {"*.example.com"},
              {http_rule({}, {service_backend("internal")})});
      r.route(RouteKind::HTTP, "linkerd-egress", "b", "all", 80, {"api.example.com"});
    };
    v.push_back({"ex12_exact", ex12, "app", "1.1.1.1:80", http_req("api.example.com"), DecisionKind::Allow,
                 "linkerd-egress/all", "HTTPRoute linkerd-egress/b"});
    v.push_back({"ex12_service", ex12, "app", "1.1.1.1:80", http_req("www.example.com"), DecisionKind::Deny,
                 "linkerd-egress/all", "HTTPRoute linkerd-egress/a"});
    v.push_back({"ex12_default", ex12, "app", "1.1.1.1:80", http_req("example.com"), DecisionKind::Deny,
                 "linkerd-egress/all", "default linkerd-egress/http-egress-deny"});
    // 13
    auto ex13 = [](Resources& r) {
      all(r, TrafficPolicy::Deny);
      r.route(RouteKind::TCP, "linkerd-egress", "tcp443", "all", 443, {}, {backends_rule({egress_backend("all")})});
    };
    v.push_back({"ex13_tcp", ex13, "app", "1.1.1.1:443", nothing(), DecisionKind::Allow, "linkerd-egress/all",
                 "TCPRoute linkerd-egress/tcp443"});
    v.push_back({"ex13_http80", ex13, "app", "1.1.1.1:80", http_req("x"), DecisionKind::Deny, "linkerd-egress/all",
                 "default linkerd-egress/tcp-egress-deny"});
    // 14
    auto ex14 = [](Resources& r) {
      all(r, TrafficPolicy::Deny);
      r.route(RouteKind::HTTP, "linkerd-egress", "h", "all", 443, {"example.com"});
      r.route(RouteKind::TLS, "linkerd-egress", "t", "all", 443, {"example.com"});
    };
    v.push_back({"ex14_tls_conflicted", ex14, "app", "1.1.1.1:443", tls_req("example.com"), DecisionKind::Deny,
                 "linkerd-egress/all", "default linkerd-egress/http-egress-deny"});
    v.push_back({"ex14_http_wins", ex14, "app", "1.1.1.1:443", http_req("example.com"), DecisionKind::Allow,
                 "linkerd-egress/all", "HTTPRoute linkerd-egress/h"});
    // 15
    auto ex15 = [](Resources& r) {
      all(r, TrafficPolicy::Deny);
      r.route(RouteKind::HTTP, "linkerd-egress", "pg", "all", 5432);
    };
    auto ex15b = [ex15](Resources& r) {
      ex15(r);
      r.route(RouteKind::TCP, "linkerd-egress", "pgtcp", "all", 5432);
    };
    v.push_back({"ex15_opaque", ex15, "app", "1.1.1.1:5432", http_req("x"), DecisionKind::Deny,
                 "linkerd-egress/all", "default linkerd-egress/tcp-egress-deny"});
    v.push_back({"ex15_tcp", ex15b, "app", "1.1.1.1:5432", nothing(), DecisionKind::Allow, "linkerd-egress/all",
                 "TCPRoute linkerd-egress/pgtcp"});
    return v;
  }();
  return c;
}

class Section8 : public ::testing::TestWithParam<Case> {};

TEST_P(Section8, Decides) {
  const Case& c = GetParam();
  Resources r;
  c.setup(r);
  const auto dst = parse_destination(c.to);
  ASSERT_TRUE(dst) << c.to;
  ExplainQuery q{dst->first, dst->second, c.proto, c.req};
  const Explanation e = explain(r.rs, c.client_ns, CompileOptions{}, q);
  const std::string text = explanation_text(e);
  EXPECT_EQ(e.decision.kind, c.want) << text;

  const auto j = nlohmann::json::parse(explanation_json(e));
  EXPECT_EQ(j.at("decision"), decision_name(c.want)) << j;
  if (c.network.empty()) EXPECT_TRUE(j.at("egressNetwork").is_null()) << j;
  else EXPECT_EQ(j.at("egressNetwork"), c.network) << j;
  if (c.route.empty()) {
    EXPECT_TRUE(j.at("route").is_null()) << j;
  } else {
    ASSERT_TRUE(j.at("route").is_object()) << j;
    const auto& jr = j.at("route");
    EXPECT_EQ(jr.at("kind").get<std::string>() + " " + jr.at("namespace").get<std::string>() + "/" +
                  jr.at("name").get<std::string>(),
              c.route)
        << text;
  }
  ASSERT_TRUE(j.at("reason").is_string());
  EXPECT_FALSE(j.at("reason").get<std::string>().empty()) << j;
  EXPECT_EQ(j.size(), 4u) << j;
}

INSTANTIATE_TEST_SUITE_P(Examples, Section8, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& i) { return i.param.name; });

TEST(Section8Extra, Ex14ReportsConflict) {
  Resources r;
  all(r, TrafficPolicy::Deny);
  r.route(RouteKind::HTTP, "linkerd-egress", "h", "all", 443);
  r.route(RouteKind::TLS, "linkerd-egress", "t", "all", 443);
  const Plan p = compile(r.rs, "app");
  ASSERT_EQ(p.networks.size(), 1u);
  ASSERT_NE(p.networks[0].port(443), nullptr);
  EXPECT_EQ(p.networks[0].port(443)->inspection, Inspection::Http);
  bool conflicted = false;
  for (const auto& d : p.diagnostics)
    conflicted |= d.name == "t" && d.message.find("RouteReasonConflicted") != std::string::npos;
  EXPECT_TRUE(conflicted);
}

TEST(Section8Extra, Ex12ServiceBackendIsReported) {
  Resources r;
  all(r, TrafficPolicy::Deny);
  r.route(RouteKind::HTTP, "linkerd-egress", "a", "all", 80, {"*.example.com"},
          {http_rule({}, {service_backend("internal")})});
  const auto dst = parse_destination("1.1.1.1:80");
  ExplainQuery q{dst->first, dst->second, Proto::Tcp, http_req("www.example.com")};
  const auto e = explain(r.rs, "app", CompileOptions{}, q);
  EXPECT_NE(e.reason.find("not honoured"), std::string::npos) << e.reason;
  EXPECT_NE(explanation_text(e).find("not honoured"), std::string::npos);
}

}  // namespace
}  // namespace nfegress::policy
