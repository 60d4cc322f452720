// tests/policy/explain_golden_test.cpp — explain's full output (text with the decision path, and JSON) for one
// query per reason the matcher can give, compared with tests/policy/golden/explain_reasons.txt. The golden was
// written by the matcher that built its reason text on every decide(); the matcher that renders reasons lazily
// must print the same bytes. Regenerate with NFEGRESS_UPDATE_GOLDEN=1 (then review the diff).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "policy/compile.hpp"
#include "policy/explain.hpp"
#include "semantics_fixtures.hpp"

namespace nfegress::policy {
namespace {
using namespace testing;

Resources resources() {
  Resources r;
  r.egress("linkerd-egress", "all", TrafficPolicy::Deny);
  r.egress("linkerd-egress", "open", TrafficPolicy::Allow, std::vector<Network>{net("203.0.113.0/24")});
  r.route(RouteKind::HTTP, "linkerd-egress", "web", "all", 80, {"api.example.com", "*.example.org"},
          {http_rule({path_prefix("/v1")}), http_rule({path_exact("/svc")}, {service_backend("internal")})});
  r.route(RouteKind::HTTP, "linkerd-egress", "any80", "all", 80, {}, {http_rule({path_exact("/health")})});
  r.route(RouteKind::TLS, "linkerd-egress", "t", "all", 443, {"example.com", "*.example.net"});
  r.route(RouteKind::GRPC, "linkerd-egress", "g", "all", 50051);
  r.route(RouteKind::TCP, "linkerd-egress", "db", "all", 5432);
  r.route(RouteKind::HTTP, "linkerd-egress", "open80", "open", 8080);
  r.route(RouteKind::HTTP, "linkerd-egress", "svc8443", "all", 8443, {}, {http_rule({}, {service_backend("s")})});
  return r;
}

struct Query {
  std::string to;
  Proto proto = Proto::Tcp;
  RequestFlags flags;
  bool grpc = false;
  bool tls = false;  // a ClientHello without SNI
};

RequestFlags sni(std::string s) {
  RequestFlags f;
  f.sni = std::move(s);
  return f;
}
RequestFlags http(std::string host, std::string path) {
  RequestFlags f;
  f.host = std::move(host);
  f.path = std::move(path);
  return f;
}

std::string render_all() {
  const std::vector<Query> queries = {
      {"10.1.2.3:8080", Proto::Tcp, {}},                      // no EgressNetwork (cluster network)
      {"1.1.1.1:53", Proto::Udp, {}},                         // non-TCP, Deny
      {"203.0.113.5:53", Proto::Udp, {}},                     // non-TCP, Allow
      {"1.1.1.1:22", Proto::Tcp, {}},                         // no route for the port
      {"203.0.113.5:9999", Proto::Tcp, {}},                   // no route for the port, Allow
      {"1.1.1.1:5432", Proto::Tcp, {}},                       // a TCPRoute takes the port
      {"1.1.1.1:443", Proto::Tcp, {}},                        // not TLS on a TLSRoute port
      {"1.1.1.1:443", Proto::Tcp, sni("")},                   // TLS, empty SNI
      {"1.1.1.1:443", Proto::Tcp, {}, false, true},           // TLS without SNI
      {"1.1.1.1:443", Proto::Tcp, sni("Example.COM.")},       // exact
      {"1.1.1.1:443", Proto::Tcp, sni("a.b.example.net")},    // wildcard
      {"1.1.1.1:443", Proto::Tcp, sni("github.com")},         // no TLSRoute matches
      {"1.1.1.1:443", Proto::Tcp, sni(std::string(300, 'a'))},  // longer than any DNS name
      {"1.1.1.1:443", Proto::Tcp, sni("\x1b[2J" + std::string(400, 'b'))},  // longer, control bytes in its start
      {"1.1.1.1:443", Proto::Tcp, sni("evil\r\n\\x.example.com")},       // control bytes: escaped
      {"1.1.1.1:443", Proto::Tcp, sni("\x07\x7f.example.net")},           // wildcard match after control bytes
      {"1.1.1.1:80", Proto::Tcp, http(std::string(300, 'h'), "/health")},  // Host longer than any DNS name
      {"[2001:db8::1]:443", Proto::Tcp, sni("example.com")},  // IPv6
      {"1.1.1.1:80", Proto::Tcp, {}},                         // not HTTP
      {"1.1.1.1:80", Proto::Tcp, http("api.example.com", "/v1/x")},
      {"1.1.1.1:80", Proto::Tcp, http("x.example.org", "/svc")},  // Service backend: denied
      {"1.1.1.1:80", Proto::Tcp, http("other.com", "/health")},   // route without hostnames
      {"1.1.1.1:80", Proto::Tcp, http("other.com", "/nope")},     // no HTTPRoute matches
      {"1.1.1.1:50051", Proto::Tcp, {}},                          // gRPC port, nothing seen
      {"1.1.1.1:50051", Proto::Tcp, http("g.example", "/pkg.S/M"), true},
      {"203.0.113.5:8080", Proto::Tcp, http("x", "/")},  // kernel-decided port: matched for the route name
      {"1.1.1.1:8443", Proto::Tcp, http("x", "/")},      // kernel-decided deny
  };
  const Resources r = resources();
  std::string out;
  for (const auto& q : queries) {
    const auto dst = parse_destination(q.to);
    if (!dst) return "bad destination " + q.to;
    std::string err;
    auto req = request_from_flags(q.flags, err);
    if (!req) return "bad request: " + err;
    req->grpc = q.grpc;
    req->tls = req->tls || q.tls;
    const Explanation e = explain(r.rs, "app", CompileOptions{}, ExplainQuery{dst->first, dst->second, q.proto, *req});
    out += "== " + q.to + (q.proto == Proto::Udp ? " udp" : " tcp") + "\n" + explanation_text(e) +
           explanation_json(e);
  }
  return out;
}

TEST(ExplainGolden, EveryReason) {
  const std::string actual = render_all();
  const std::string path = std::string(NFEGRESS_SOURCE_DIR) + "/tests/policy/golden/explain_reasons.txt";
  if (std::getenv("NFEGRESS_UPDATE_GOLDEN")) {
    std::ofstream(path) << actual;
    GTEST_SKIP() << "golden rewritten: " << path;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in) << "missing " << path;
  std::stringstream want;
  want << in.rdbuf();
  EXPECT_EQ(want.str(), actual);
}

}  // namespace
}  // namespace nfegress::policy
