// tests/policy/match_alloc_test.cpp — Matcher::decide and decide_l4 allocate nothing (the enforcer's verdict
// path): this binary replaces the global operator new to count allocations while deciding, for every kind of
// reason (match, miss, default, kernel-decided, no network). Rendering the reason afterwards may allocate.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "policy/compile.hpp"
#include "policy/match.hpp"
#include "semantics_fixtures.hpp"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

// The replacements below pair malloc with free by design; GCC cannot see that once they are inlined.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace nfegress::policy {
namespace {
using namespace testing;

RequestInfo tls(std::string sni) {
  RequestInfo r;
  r.tls = true;
  r.sni = std::move(sni);
  return r;
}
RequestInfo http(std::string host, std::string path) {
  RequestInfo r;
  r.http = true;
  r.host = std::move(host);
  r.path = std::move(path);
  r.method = "GET";
  return r;
}

TEST(MatchAlloc, DecideAllocatesNothing) {
  Resources r;
  r.egress("linkerd-egress", "all", TrafficPolicy::Deny);
  r.egress("linkerd-egress", "open", TrafficPolicy::Allow, std::vector<Network>{net("203.0.113.0/24")});
  r.route(RouteKind::TLS, "linkerd-egress", "t", "all", 443, {"example.com", "*.example.net"});
  r.route(RouteKind::HTTP, "linkerd-egress", "h", "all", 80, {"api.example.com"}, {http_rule({path_prefix("/v1")})});
  r.route(RouteKind::HTTP, "linkerd-egress", "o", "open", 8080);
  r.route(RouteKind::TCP, "linkerd-egress", "db", "all", 5432);
  const Plan plan = compile(r.rs, "app");
  const Matcher m(plan);
  struct Q {
    const char* dst;
    std::uint16_t port;
    Proto proto;
    RequestInfo req;
  };
  const std::string long_name(300, 'a');
  const std::vector<Q> queries = {
      {"192.0.2.1", 443, Proto::Tcp, tls("example.com")},
      {"192.0.2.1", 443, Proto::Tcp, tls("a.b.example.net")},
      {"192.0.2.1", 443, Proto::Tcp, tls("a-much-longer-name-than-any-small-string.example.org")},
      {"192.0.2.1", 443, Proto::Tcp, tls(long_name)},
      {"192.0.2.1", 443, Proto::Tcp, RequestInfo{}},
      {"192.0.2.1", 80, Proto::Tcp, http("api.example.com", "/v1/things")},
      {"192.0.2.1", 80, Proto::Tcp, http("other.example.com", "/")},
      {"203.0.113.9", 8080, Proto::Tcp, http("x", "/")},
      {"192.0.2.1", 5432, Proto::Tcp, RequestInfo{}},
      {"192.0.2.1", 22, Proto::Tcp, RequestInfo{}},
      {"192.0.2.1", 53, Proto::Udp, RequestInfo{}},
      {"10.0.0.1", 443, Proto::Tcp, tls("example.com")},
  };
  for (const auto& q : queries) {
    const IpAddr dst = ip(q.dst);
    const long before = g_allocations.load();
    const Decision d = m.decide(dst, q.port, q.proto, q.req);
    const Decision l4 = m.decide_l4(dst, q.port, q.proto);
    const long during = g_allocations.load() - before;
    EXPECT_EQ(during, 0) << q.dst << ":" << q.port << " " << m.reason(d) << " / " << m.reason(l4);
    EXPECT_FALSE(m.reason(d).empty());
  }
}

}  // namespace
}  // namespace nfegress::policy
