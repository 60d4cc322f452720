// tests/bench/enforcer_engine_bench.cpp — Google Benchmark: the enforcer engine's cost per decided TLS flow (handshake
// ACK + a 1.9 KB ClientHello in two segments -> verdicts) and per HTTP keep-alive request (one segment -> PASS).
// Pure code only (no socket): the kernel round trip is measured by enforcer_netns.sh.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "enforcer/engine.hpp"
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

void BM_TlsFlowDecided(benchmark::State& state) {
  enforcer::Counters c;
  enforcer::Engine engine(compiled(), "app", {}, c);
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
  now += std::chrono::seconds(60);
  engine.expire(now, out);
  state.counters["flows_allowed"] = static_cast<double>(c.flows_allowed);
}
BENCHMARK(BM_TlsFlowDecided);

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
