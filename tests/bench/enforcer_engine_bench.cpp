// tests/bench/enforcer_engine_bench.cpp — Google Benchmark: the enforcer engine's cost per decided TLS flow (handshake
// ACK + a 1.9 KB ClientHello in two segments -> verdicts) and per HTTP keep-alive request (one segment -> PASS).
// With name binding (issue 17): the same flow checked against 1 or 100k bound names, and the binding lookup alone.
// Pure code only (no socket): the kernel round trip is measured by enforcer_netns.sh.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include <map>
#include <memory>
#include <string>

#include "enforcer/engine.hpp"
#include "enforcer/name_bindings.hpp"
#include "engine_policy.hpp"
#include "flow_builder.hpp"

namespace {

using namespace nfegress;
using Bytes = std::vector<std::uint8_t>;

std::shared_ptr<const enforcer::CompiledPolicy> compiled() { return test::compile_engine_policy(); }

Bytes hello() {
  std::ifstream in(NFEGRESS_FIRST_FLIGHTS "/chromium.tls.bin", std::ios::binary);  // tests/data/first-flights/
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// One decided TLS flow per iteration on `engine` (handshake ACK + the ClientHello in two segments).
void run_tls_flows(benchmark::State& state, enforcer::Engine& engine) {
  const Bytes ch = hello();
  if (ch.size() < 1448) state.SkipWithError("no " NFEGRESS_FIRST_FLIGHTS "/chromium.tls.bin");
  std::vector<enforcer::VerdictOut> out;
  std::uint16_t sport = 1024;
  std::uint32_t isn = 1;  // a new ISN per flow: a reused 5-tuple is a new connection, inspected afresh
  auto now = enforcer::Clock::now();
  for (auto _ : state) {
    state.PauseTiming();
    const Bytes ack = test::tcp("192.0.2.1", sport, "203.0.113.10", 443).seq(isn).ack(1).bytes();
    const Bytes a = test::tcp("192.0.2.1", sport, "203.0.113.10", 443).seq(isn).ack(1)
                        .payload(Bytes(ch.begin(), ch.begin() + 1448)).bytes();
    const Bytes b = test::tcp("192.0.2.1", sport, "203.0.113.10", 443).seq(isn + 1448).ack(1)
                        .payload(Bytes(ch.begin() + 1448, ch.end())).bytes();
    if (++sport == 0) sport = 1024;
    isn += 2654435761u;  // odd: never the same ISN when the source port comes round again
    out.clear();
    state.ResumeTiming();
    engine.on_packet({100, 1, 0, false, ack}, now, out);
    engine.on_packet({100, 2, 0, false, a}, now, out);
    engine.on_packet({100, 3, 0, false, b}, now, out);
    benchmark::DoNotOptimize(out.data());
  }
}

void BM_TlsFlowDecided(benchmark::State& state) {
  enforcer::Counters c;
  enforcer::Engine engine(compiled(), "app", {}, c);
  run_tls_flows(state, engine);
}

// Issue 17: N names bound (N/2 of them with two addresses), chromium.tls.example to the server among them; the
// flow is allowed by its SNI and checked against the bindings (strict: a miss would deny and show in the counter).
enforcer::NameBindings& bindings_of(std::size_t n) {
  static std::map<std::size_t, std::unique_ptr<enforcer::NameBindings>> made;
  auto& b = made[n];
  if (b) return *b;
  enforcer::BindingLimits l;
  l.max_names = n + 16;
  b = std::make_unique<enforcer::NameBindings>(l);
  const auto now = enforcer::Clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    enforcer::dns::Answer a;
    a.names = {"host" + std::to_string(i) + ".bench.example"};
    a.addrs = {policy::IpAddr{policy::Family::V4, 0xcb007100u + (i & 0xff)}};
    if (i % 2) a.addrs.push_back(policy::IpAddr{policy::Family::V4, 0xc6336400u + (i & 0xff)});
    a.ttl = 3600;
    b->learn(a, now);
  }
  enforcer::dns::Answer mine;
  mine.names = {"chromium.tls.example"};
  mine.addrs = {*policy::parse_ip("203.0.113.10")};
  mine.ttl = 3600;
  b->learn(mine, now);
  return *b;
}

void BM_TlsFlowDecidedBound(benchmark::State& state) {
  enforcer::Counters c;
  enforcer::Engine engine(compiled(), "app", {}, c);
  engine.set_name_binding(enforcer::BindingMode::Strict, &bindings_of(static_cast<std::size_t>(state.range(0))), {});
  run_tls_flows(state, engine);
  if (c.binding_denied != 0 || c.binding_bound == 0) state.SkipWithError("the flows were not bound");
}

// The lookup alone: check() for random names among N held (hits), in a store of N names.
void BM_BindingCheck(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const enforcer::NameBindings& b = bindings_of(n);
  std::vector<std::string> names;
  for (std::size_t i = 0; i < 4096; ++i) names.push_back("host" + std::to_string((i * 7919) % n) + ".bench.example");
  const auto now = enforcer::Clock::now();
  std::size_t i = 0, bound = 0;
  for (auto _ : state) {
    const std::size_t j = i++ & 4095, k = (j * 7919) % n;
    const policy::IpAddr addr{policy::Family::V4, 0xcb007100u + (k & 0xff)};
    bound += b.check(names[j], addr, now) == enforcer::BindResult::Bound;
  }
  if (bound != i) state.SkipWithError("a lookup missed");
}

BENCHMARK(BM_TlsFlowDecided);
BENCHMARK(BM_TlsFlowDecidedBound)->Arg(1)->Arg(100000);
BENCHMARK(BM_BindingCheck)->Arg(1000)->Arg(100000);

void BM_HttpKeepAliveRequest(benchmark::State& state) {
  enforcer::Counters c;
  enforcer::Engine engine(compiled(), "app", {}, c);
  const std::string req = "GET /get/item HTTP/1.1\r\nHost: api.example\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n";
  std::vector<enforcer::VerdictOut> out;
  std::uint32_t seq = 1;
  const auto now = enforcer::Clock::now();
  for (auto _ : state) {
    state.PauseTiming();
    const Bytes p = test::tcp("192.0.2.1", 5000, "203.0.113.10", 80).seq(seq).ack(1).payload(req).bytes();
    seq += static_cast<std::uint32_t>(req.size());
    out.clear();
    state.ResumeTiming();
    engine.on_packet({100, seq, 0, false, p}, now, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["requests_checked"] = static_cast<double>(c.requests_checked);
}
BENCHMARK(BM_HttpKeepAliveRequest);

}  // namespace

BENCHMARK_MAIN();
