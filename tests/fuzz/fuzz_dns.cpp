// tests/fuzz/fuzz_dns.cpp — libFuzzer target: any bytes as a DNS message (a queued resolver answer) through
// parse_answer, learned into a NameBindings with small bounds; as a TCP DNS segment through split_tcp_messages (each
// message parsed and learned too); through strip_ech; and as a bindings state file through NameBindings::load.
// Must never crash or read past the span. Invariants: an answer has 1..kMaxChain valid lowercased names and
// distinct addresses, and exactly one of answer/error; every address learned for a chain name checks Bound; the
// bounds hold; TCP messages lie inside the payload, in order, and `incomplete` says whether bytes were left over;
// a stripped answer is no longer than the input, parses to the same names and addresses, and has nothing left to
// strip; a saved state reloads to the same text.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "enforcer/dns_answer.hpp"
#include "enforcer/name_bindings.hpp"
#include "fuzz_check.hpp"

namespace dns = nfegress::enforcer::dns;
using nfegress::enforcer::BindResult;
using nfegress::enforcer::Clock;
using nfegress::enforcer::NameBindings;

static bool valid_name(std::string_view n) {
  if (n.empty() || n.size() > 253 || n.back() == '.' || n.front() == '.') return false;
  for (char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

static constexpr std::size_t kNames = 16, kAddrs = 4;
static const Clock::time_point kNow = Clock::time_point{} + std::chrono::hours(1000);
static const auto kWall = std::chrono::system_clock::time_point{} + std::chrono::seconds(1'700'000'000);

static std::optional<dns::Answer> parse_checked(std::span<const std::uint8_t> msg) {
  const dns::Parsed p = dns::parse_answer(msg);
  FUZZ_CHECK(p.answer.has_value() != !p.error.empty());
  if (!p.answer) return std::nullopt;
  const dns::Answer& a = *p.answer;
  FUZZ_CHECK(!a.names.empty() && a.names.size() <= dns::kMaxChain);
  for (std::size_t i = 0; i < a.names.size(); ++i) {
    FUZZ_CHECK(valid_name(a.names[i]));
    FUZZ_CHECK(std::count(a.names.begin(), a.names.end(), a.names[i]) == 1);
  }
  for (const auto& addr : a.addrs) FUZZ_CHECK(std::count(a.addrs.begin(), a.addrs.end(), addr) == 1);
  return a;
}

static void learn_checked(NameBindings& b, const dns::Answer& a) {
  b.learn(a, kNow);
  FUZZ_CHECK(b.names() <= kNames);
  FUZZ_CHECK(b.addresses_held() <= kNames * kAddrs);
  // A fresh store holds every name of one answer (at most kMaxChain < kNames) and its newest kAddrs addresses.
  const std::size_t first = a.addrs.size() > kAddrs ? a.addrs.size() - kAddrs : 0;
  for (const auto& n : a.names)
    for (std::size_t i = first; i < a.addrs.size(); ++i)
      FUZZ_CHECK(b.check(n, a.addrs[i], kNow) == BindResult::Bound);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  const nfegress::enforcer::BindingLimits limits{.max_names = kNames, .max_addrs_per_name = kAddrs};

  const auto answer = parse_checked(in);
  if (answer) {
    NameBindings b(limits);
    learn_checked(b, *answer);
    const std::string saved = b.save(kNow, kWall);
    NameBindings again(limits);
    std::string error;
    FUZZ_CHECK(again.load(saved, kNow, kWall, error));
    FUZZ_CHECK(again.save(kNow, kWall) == saved);
  }

  bool incomplete = false;
  const auto msgs = dns::split_tcp_messages(in, incomplete);
  std::size_t used = 0;
  NameBindings tcp(limits);
  for (const auto& m : msgs) {
    FUZZ_CHECK(m.data() == data + used + 2 && used + 2 + m.size() <= size);
    used += 2 + m.size();
    if (const auto a = parse_checked(m)) tcp.learn(*a, kNow);
    FUZZ_CHECK(tcp.names() <= kNames && tcp.addresses_held() <= kNames * kAddrs);
  }
  FUZZ_CHECK(incomplete == (used != size));

  if (const auto stripped = dns::strip_ech(in)) {
    FUZZ_CHECK(stripped->size() <= size);
    FUZZ_CHECK(!dns::strip_ech(*stripped).has_value());
    const auto after = parse_checked(*stripped);
    FUZZ_CHECK(after.has_value() == answer.has_value());
    if (answer) FUZZ_CHECK(after->names == answer->names && after->addrs == answer->addrs);
  }

  NameBindings state(limits);
  std::string error;
  const bool loaded = state.load(std::string_view(reinterpret_cast<const char*>(data), size), kNow, kWall, error);
  FUZZ_CHECK(loaded == error.empty());
  FUZZ_CHECK(state.names() <= kNames && state.addresses_held() <= kNames * kAddrs);
  return 0;
}
