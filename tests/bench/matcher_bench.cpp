// tests/bench/matcher_bench.cpp — microbenchmarks of route matching (Matcher::decide, the enforcer's verdict
// path) with 10 / 1k / 100k route hostnames on one inspected port (target <= 100 ns at 100k): TLS SNI exact,
// wildcard and miss, and HTTP Host + path. BM_HostIndex* time the hostname index alone (what "no linear scan"
// buys), so the rest of decide() can be told apart. decide() allocates nothing; BM_ReasonText* time rendering
// the reason line, which happens only where a decision is printed (decision log, explain).
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "policy/compile.hpp"
#include "policy/hostname_index.hpp"
#include "policy/match.hpp"

namespace {
using namespace nfegress::policy;

// One global Deny EgressNetwork; routes of `kind` on port 443 (TLS) or 80 (HTTP) carrying `n` hostnames in
// total, 100 per route, one in ten a wildcard.
struct Fixture {
  ResourceSet rs;
  Plan plan;
  std::unique_ptr<Matcher> matcher;
  IpAddr dst = *parse_ip("203.0.113.10");

  Fixture(RouteKind kind, std::size_t n) {
    EgressNetwork en;
    en.meta.ns = "linkerd-egress";
    en.meta.name = "all";
    en.traffic_policy = TrafficPolicy::Deny;
    rs.networks.push_back(en);
    const std::uint16_t port = kind == RouteKind::TLS ? 443 : 80;
    for (std::size_t i = 0; i < n; i += 100) {
      Route r;
      r.meta.ns = "linkerd-egress";
      r.meta.name = "r" + std::to_string(i);
      r.meta.input_order = i;
      r.kind = kind;
      r.api_group = "gateway.networking.k8s.io";
      ParentRef p;
      p.group = "policy.linkerd.io";
      p.kind = "EgressNetwork";
      p.name = "all";
      p.port = port;
      r.parents.push_back(p);
      for (std::size_t j = i; j < std::min(n, i + 100); ++j)
        r.hostnames.push_back(j % 10 == 9 ? "*.zone" + std::to_string(j) + ".example.net"
                                          : "host" + std::to_string(j) + ".example.com");
      RouteRule rule;
      if (kind == RouteKind::HTTP) {
        HttpRouteMatch m;
        m.path = PathMatch{StringMatchType::PathPrefix, "/api"};
        rule.http_matches.push_back(m);
      }
      r.rules.push_back(rule);
      rs.routes.push_back(std::move(r));
    }
    plan = compile(rs, "app");
    matcher = std::make_unique<Matcher>(plan);
  }
};

RequestInfo tls(const std::string& sni) {
  RequestInfo r;
  r.tls = true;
  r.sni = sni;
  return r;
}

void run(benchmark::State& state, const Fixture& f, std::uint16_t port, const RequestInfo& req, DecisionKind want) {
  if (f.matcher->decide(f.dst, port, Proto::Tcp, req).kind != want) state.SkipWithError("unexpected decision");
  for (auto _ : state) {
    Decision d = f.matcher->decide(f.dst, port, Proto::Tcp, req);
    benchmark::DoNotOptimize(d.kind);
  }
  state.counters["hostnames"] = static_cast<double>(state.range(0));
}

void BM_MatchSniExact(benchmark::State& state) {
  const Fixture f(RouteKind::TLS, static_cast<std::size_t>(state.range(0)));
  run(state, f, 443, tls("host" + std::to_string(state.range(0) / 2) + ".example.com"), DecisionKind::Allow);
}
void BM_MatchSniWildcard(benchmark::State& state) {
  const Fixture f(RouteKind::TLS, static_cast<std::size_t>(state.range(0)));
  run(state, f, 443, tls("a.b.zone" + std::to_string(state.range(0) - 1) + ".example.net"), DecisionKind::Allow);
}
void BM_MatchSniMiss(benchmark::State& state) {
  const Fixture f(RouteKind::TLS, static_cast<std::size_t>(state.range(0)));
  run(state, f, 443, tls("api.github.com"), DecisionKind::Deny);
}
void BM_MatchHttpHostPath(benchmark::State& state) {
  const Fixture f(RouteKind::HTTP, static_cast<std::size_t>(state.range(0)));
  RequestInfo r;
  r.http = true;
  r.host = "host" + std::to_string(state.range(0) / 2) + ".example.com";
  r.method = "GET";
  r.path = "/api/v1/items";
  run(state, f, 80, r, DecisionKind::Allow);
}
// Rendering the reason line of a decision (only where it is printed: decision log, explain).
void BM_ReasonTextSniExact(benchmark::State& state) {
  const Fixture f(RouteKind::TLS, static_cast<std::size_t>(state.range(0)));
  const Decision d =
      f.matcher->decide(f.dst, 443, Proto::Tcp, tls("host" + std::to_string(state.range(0) / 2) + ".example.com"));
  for (auto _ : state) {
    std::string text = reason_text(f.plan, d);
    benchmark::DoNotOptimize(text.data());
  }
  state.counters["hostnames"] = static_cast<double>(state.range(0));
}
// The index alone: n names (one in ten a wildcard) in one HostIndex, as the matcher builds it per port.
void host_index(benchmark::State& state, const std::string& host) {
  const auto n = static_cast<std::size_t>(state.range(0));
  detail::HostIndex idx;
  for (std::size_t j = 0; j < n; ++j)
    idx.add(static_cast<std::uint32_t>(j), {j % 10 == 9 ? "*.zone" + std::to_string(j) + ".example.net"
                                                         : "host" + std::to_string(j) + ".example.com"});
  for (auto _ : state) {
    std::uint32_t found = 0;
    idx.visit(std::string_view(host), [&](detail::HostTier, std::string_view, const std::vector<std::uint32_t>& ids) {
      found = ids.front();
      return true;
    });
    benchmark::DoNotOptimize(found);
  }
  state.counters["hostnames"] = static_cast<double>(n);
}
void BM_HostIndexExact(benchmark::State& state) {
  host_index(state, "host" + std::to_string(state.range(0) / 2) + ".example.com");
}
void BM_HostIndexWildcard(benchmark::State& state) {
  host_index(state, "a.b.zone" + std::to_string(state.range(0) - 1) + ".example.net");
}
BENCHMARK(BM_HostIndexExact)->Arg(10)->Arg(1000)->Arg(100000);
BENCHMARK(BM_HostIndexWildcard)->Arg(10)->Arg(1000)->Arg(100000);

BENCHMARK(BM_MatchSniExact)->Arg(10)->Arg(1000)->Arg(100000);
BENCHMARK(BM_MatchSniWildcard)->Arg(10)->Arg(1000)->Arg(100000);
BENCHMARK(BM_MatchSniMiss)->Arg(10)->Arg(1000)->Arg(100000);
BENCHMARK(BM_MatchHttpHostPath)->Arg(10)->Arg(1000)->Arg(100000);
BENCHMARK(BM_ReasonTextSniExact)->Arg(10)->Arg(100000);

}  // namespace
