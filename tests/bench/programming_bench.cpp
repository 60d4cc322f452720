// tests/bench/programming_bench.cpp — Google Benchmark: the cost of programming a large policy (1,000
// EgressNetworks, 100 CIDRs each = 100k intervals) into the kernel, split into its pure parts (Plan -> Ruleset,
// Ruleset -> one netlink batch) and, when run as root, the transaction itself and a one-network incremental
// update. The kernel benchmarks run in a private network namespace the binary unshares before any of them.
// Not a test: tests/bench/programming.sh runs it and docs/performance.md records the figures.
#include <benchmark/benchmark.h>
#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <optional>

#include "netfilter/batch.hpp"
#include "netfilter/ruleset.hpp"
#include "netfilter/writer.hpp"

namespace {

using namespace nfegress;
using namespace nfegress::netfilter;

constexpr std::size_t kNetworks = 1000;
constexpr std::size_t kPerNetwork = 100;

// The shape of tests/bench/gen_policy.py: network n owns 2001:db8:n:2i::/64 (i < 100; every other /64, so nothing
// merges), Deny and Allow alternate, every fourth network has a TCPRoute on 5432. `shift` moves network 0's
// prefixes by one /64 (the one-network change).
enum class Change { None, MovePrefixes, AddPort };

policy::Plan big_plan(Change change = Change::None) {
  const bool shift = change == Change::MovePrefixes;
  policy::Plan p;
  p.client_ns = "app";
  for (std::size_t n = 0; n < kNetworks; ++n) {
    policy::CompiledNetwork en;
    en.ns = "linkerd-egress";
    en.name = "net" + std::to_string(n);
    const bool deny = n % 2 == 0;
    en.traffic_policy = deny ? policy::TrafficPolicy::Deny : policy::TrafficPolicy::Allow;
    en.tcp_default = en.other_default = deny ? policy::Verdict::Deny : policy::Verdict::Allow;
    if (n % 4 == 0) {
      policy::PortPolicy db;
      db.port = 5432;
      db.verdict = policy::Verdict::Allow;
      db.route = {"TCPRoute", "linkerd-egress", "db" + std::to_string(n), false};
      en.ports.push_back(db);
    }
    if (change == Change::AddPort && n == 1) {
      policy::PortPolicy web;
      web.port = 8080;
      web.verdict = policy::Verdict::Deny;
      en.ports.push_back(web);
    }
    p.networks.push_back(en);
    for (std::size_t i = 0; i < kPerNetwork; ++i) {
      const policy::u128 net = (policy::u128{0x20010db8} << 96) | (policy::u128{n} << 80) |
                               (policy::u128{2 * i + (shift && n == 0 ? 1 : 0)} << 64);
      p.v6.push_back({net, net + ((policy::u128{1} << 64) - 1), static_cast<std::uint32_t>(n)});
    }
  }
  return p;
}

const policy::Plan& plan_a() {
  static const auto p = big_plan();
  return p;
}

void BM_BuildRuleset(benchmark::State& st) {
  for (auto _ : st) benchmark::DoNotOptimize(build_ruleset(plan_a(), QueueImpl::Compat));
}
BENCHMARK(BM_BuildRuleset)->Unit(benchmark::kMillisecond);

void BM_ReplaceBatch(benchmark::State& st) {
  const auto rs = build_ruleset(plan_a(), QueueImpl::Compat);
  std::size_t bytes = 0;
  for (auto _ : st) {
    auto b = replace_batch(rs, 1);
    bytes = b.bytes();
    benchmark::DoNotOptimize(b);
  }
  st.counters["batch_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_ReplaceBatch)->Unit(benchmark::kMillisecond);

// Kernel benchmarks (root only, private netns).
std::optional<Writer>& writer() {
  static std::optional<Writer> w;
  return w;
}

void BM_ProgramReplace(benchmark::State& st) {
  auto& w = *writer();
  for (auto _ : st) {
    const auto rs = build_ruleset(plan_a(), QueueImpl::Compat);
    const auto b = replace_batch(rs, w.next_seq());
    if (auto err = w.send(b)) {
      st.SkipWithError(err->format().c_str());
      break;
    }
    st.counters["messages"] = static_cast<double>(b.messages());
  }
}

// One network changes: its 100 prefixes move (200 element changes in dst6, goto verdicts) or it gains a denied
// port (one element in its ports map and a rewritten chain). Alternates between the two versions.
void BM_UpdateOneNetwork(benchmark::State& st, Change change) {
  auto& w = *writer();
  const auto a = build_ruleset(plan_a(), QueueImpl::Compat);
  const auto b = build_ruleset(big_plan(change), QueueImpl::Compat);
  if (auto err = w.send(replace_batch(a, w.next_seq()))) {
    st.SkipWithError(err->format().c_str());
    return;
  }
  bool at_a = true;
  double diff_ms = 0, kernel_ms = 0;
  const auto ms_since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
  };
  for (auto _ : st) {
    UpdateSummary sum;
    auto t = std::chrono::steady_clock::now();
    const auto batch = at_a ? update_batch(a, b, w.next_seq(), true, &sum) : update_batch(b, a, w.next_seq(), true, &sum);
    diff_ms += ms_since(t);
    t = std::chrono::steady_clock::now();
    if (auto err = w.send(batch)) {
      st.SkipWithError(err->format().c_str());
      break;
    }
    kernel_ms += ms_since(t);
    at_a = !at_a;
    st.counters["elements_changed"] = static_cast<double>(sum.elements_added + sum.elements_removed);
    st.counters["messages"] = static_cast<double>(batch.messages());
  }
  // Where the time goes: computing the difference (userspace) vs the transaction (kernel).
  st.counters["diff_ms"] = benchmark::Counter(diff_ms, benchmark::Counter::kAvgIterations);
  st.counters["kernel_ms"] = benchmark::Counter(kernel_ms, benchmark::Counter::kAvgIterations);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  // The kernel benchmarks only as root, and never in the host's ruleset: a network namespace of our own.
  if (geteuid() == 0 && unshare(CLONE_NEWNET) == 0) {
    KernelError err;
    writer() = Writer::open(err);
    if (!writer()) {
      std::fprintf(stderr, "netlink: %s\n", err.format().c_str());
      return 1;
    }
    benchmark::RegisterBenchmark("BM_ProgramReplace", BM_ProgramReplace)->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark("BM_UpdateOneNetwork/move_prefixes", BM_UpdateOneNetwork, Change::MovePrefixes)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark("BM_UpdateOneNetwork/add_port", BM_UpdateOneNetwork, Change::AddPort)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  } else {
    std::fprintf(stderr, "not root: the kernel benchmarks are left out\n");
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
