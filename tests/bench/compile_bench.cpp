// tests/bench/compile_bench.cpp — microbenchmark of the policy compiler: 100k CIDRs in 1,000 EgressNetworks
// (target: well under 100 ms), overlapping across networks and with excepts, so the partition's flatten does real work.
// Also 10k CIDRs / 100 networks for the scaling ratio.
#include <benchmark/benchmark.h>

#include <random>
#include <string>

#include "policy/compile.hpp"

namespace {
using namespace nfegress::policy;

ResourceSet make(std::size_t networks, std::size_t cidrs_per_network) {
  std::mt19937_64 rng(42);
  ResourceSet rs;
  for (std::size_t i = 0; i < networks; ++i) {
    EgressNetwork en;
    en.meta.ns = i % 10 == 0 ? "app" : "linkerd-egress";  // local and global candidates
    en.meta.name = "en" + std::to_string(i);
    en.meta.creation = static_cast<std::int64_t>(rng() % 1000);
    en.meta.input_order = i;
    en.traffic_policy = i % 2 ? TrafficPolicy::Allow : TrafficPolicy::Deny;
    en.networks.emplace();
    for (std::size_t j = 0; j < cidrs_per_network; ++j) {
      Network n;
      if (j % 10 == 9) {  // one in ten IPv6
        const u128 v = (u128{0x20010db8} << 96) | (u128{rng()} << 32);
        n.cidr = IpPrefix{Family::V6, v & ~((u128{1} << 64) - 1), static_cast<std::uint8_t>(48 + rng() % 17)};
        n.cidr.base &= ~n.cidr.size_minus_one();
      } else {
        const unsigned len = 16 + static_cast<unsigned>(rng() % 17);  // /16 .. /32, overlapping
        n.cidr = IpPrefix{Family::V4, u128{static_cast<std::uint32_t>(rng())}, static_cast<std::uint8_t>(len)};
        n.cidr.base &= ~n.cidr.size_minus_one() & 0xFFFFFFFFu;
        if (len <= 28 && j % 7 == 0) {  // an except: the first quarter
          n.except.push_back(IpPrefix{Family::V4, n.cidr.base, static_cast<std::uint8_t>(len + 2)});
        }
      }
      en.networks->push_back(n);
    }
    rs.networks.push_back(std::move(en));
  }
  return rs;
}

void BM_Compile(benchmark::State& state) {
  const auto networks = static_cast<std::size_t>(state.range(0));
  const auto per = static_cast<std::size_t>(state.range(1));
  const ResourceSet rs = make(networks, per);
  // "other" has no local EgressNetwork: all global ones are candidates (the large case).
  std::size_t ranges = 0;
  for (auto _ : state) {
    Plan p = compile(rs, "other");
    ranges = p.v4.size() + p.v6.size();
    benchmark::DoNotOptimize(p.v4.data());
  }
  state.counters["cidrs"] = static_cast<double>(networks * per);
  state.counters["ranges"] = static_cast<double>(ranges);
}
BENCHMARK(BM_Compile)->Args({100, 100})->Args({1000, 100})->Unit(benchmark::kMillisecond);

}  // namespace
