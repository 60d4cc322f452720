// tests/enforcer/name_bindings_test.cpp — NameBindings: learning answers, checking flows against them, the TTL floor
// and cap, grace, expiry, the memory bounds and their counters, and the state file (round trip, malformed lines).
#include "enforcer/name_bindings.hpp"

#include <gtest/gtest.h>

namespace nfegress::enforcer {
namespace {

using namespace std::chrono_literals;
using dns::Answer;

policy::IpAddr ip(const char* s) { return *policy::parse_ip(s); }

Answer answer(std::vector<std::string> names, std::vector<const char*> addrs, std::uint32_t ttl) {
  Answer a;
  a.names = std::move(names);
  for (const char* s : addrs) a.addrs.push_back(ip(s));
  a.ttl = ttl;
  return a;
}

const Clock::time_point T0 = Clock::time_point{} + 1000h;

TEST(NameBindings, LearnAndCheck) {
  NameBindings b;
  b.learn(answer({"alias.example", "target.example"}, {"203.0.113.7", "2001:db8::7"}, 300), T0);
  EXPECT_EQ(b.check("alias.example", ip("203.0.113.7"), T0), BindResult::Bound);
  EXPECT_EQ(b.check("Target.Example.", ip("2001:db8::7"), T0), BindResult::Bound);  // case, trailing dot
  EXPECT_EQ(b.check("alias.example", ip("192.0.2.99"), T0), BindResult::Unbound);
  EXPECT_EQ(b.check("other.example", ip("203.0.113.7"), T0), BindResult::Unknown);
  EXPECT_EQ(b.check("not a name", ip("203.0.113.7"), T0), BindResult::Unknown);
  EXPECT_EQ(b.names(), 2u);
  EXPECT_EQ(b.addresses_held(), 4u);
  EXPECT_EQ(b.counters().learned, 4u);
  EXPECT_EQ(b.addresses("ALIAS.example", T0), (std::vector{ip("203.0.113.7"), ip("2001:db8::7")}));
  b.learn(answer({"nx.example"}, {}, 300), T0);  // NXDOMAIN / NODATA binds nothing
  EXPECT_EQ(b.names(), 2u);
}

TEST(NameBindings, TtlFloorCapAndGrace) {
  NameBindings b;  // min 60 s, max 1 day, grace 300 s
  b.learn(answer({"a.example"}, {"203.0.113.1"}, 5), T0);
  EXPECT_EQ(b.check("a.example", ip("203.0.113.1"), T0 + 59s), BindResult::Bound);
  EXPECT_EQ(b.check("a.example", ip("203.0.113.1"), T0 + 60s), BindResult::Unknown);
  EXPECT_EQ(b.check("a.example", ip("203.0.113.1"), T0 + 60s, true), BindResult::Bound);
  EXPECT_EQ(b.check("a.example", ip("203.0.113.1"), T0 + 359s, true), BindResult::Bound);
  EXPECT_EQ(b.check("a.example", ip("203.0.113.1"), T0 + 360s, true), BindResult::Unknown);
  EXPECT_EQ(b.check("a.example", ip("192.0.2.1"), T0 + 100s, true), BindResult::Unknown);  // grace is per address
  EXPECT_TRUE(b.addresses("a.example", T0 + 60s).empty());

  b.learn(answer({"long.example"}, {"203.0.113.2"}, 10'000'000), T0);
  EXPECT_EQ(b.check("long.example", ip("203.0.113.2"), T0 + 86399s), BindResult::Bound);
  EXPECT_EQ(b.check("long.example", ip("203.0.113.2"), T0 + 86400s), BindResult::Unknown);
}

TEST(NameBindings, MergeKeepsEachAddressUntilItsOwnExpiry) {
  NameBindings b;
  b.learn(answer({"a.example"}, {"203.0.113.1"}, 600), T0);
  b.learn(answer({"a.example"}, {"203.0.113.2"}, 60), T0 + 10s);
  b.learn(answer({"a.example"}, {"203.0.113.1"}, 60), T0 + 20s);  // a shorter TTL does not shorten it
  EXPECT_EQ(b.check("a.example", ip("203.0.113.1"), T0 + 500s), BindResult::Bound);
  EXPECT_EQ(b.check("a.example", ip("203.0.113.2"), T0 + 69s), BindResult::Bound);
  EXPECT_EQ(b.check("a.example", ip("203.0.113.2"), T0 + 70s), BindResult::Unbound);  // the name is still live
  EXPECT_EQ(b.addresses_held(), 2u);
}

TEST(NameBindings, AddressesPerNameBound) {
  NameBindings b({.max_names = 8, .max_addrs_per_name = 3});
  b.learn(answer({"a.example"}, {"203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4", "203.0.113.5"}, 60),
          T0);
  EXPECT_EQ(b.counters().dropped_addrs, 2u);
  EXPECT_EQ(b.addresses("a.example", T0), (std::vector{ip("203.0.113.3"), ip("203.0.113.4"), ip("203.0.113.5")}));
  b.learn(answer({"a.example"}, {"203.0.113.3"}, 60), T0 + 1s);  // refreshed: now the newest
  b.learn(answer({"a.example"}, {"203.0.113.6"}, 60), T0 + 2s);
  EXPECT_EQ(b.addresses("a.example", T0 + 2s), (std::vector{ip("203.0.113.5"), ip("203.0.113.3"), ip("203.0.113.6")}));
  EXPECT_EQ(b.addresses_held(), 3u);
}

TEST(NameBindings, NamesBoundEvictsTheEntryExpiringFirst) {
  NameBindings b({.max_names = 3});
  b.learn(answer({"long.example"}, {"203.0.113.1"}, 3600), T0);
  b.learn(answer({"short.example"}, {"203.0.113.2"}, 60), T0);
  b.learn(answer({"mid.example"}, {"203.0.113.3"}, 600), T0);
  b.learn(answer({"new.example"}, {"203.0.113.4"}, 60), T0 + 1s);
  EXPECT_EQ(b.names(), 3u);
  EXPECT_EQ(b.counters().evicted_names, 1u);
  EXPECT_EQ(b.check("short.example", ip("203.0.113.2"), T0 + 1s), BindResult::Unknown);
  EXPECT_EQ(b.check("long.example", ip("203.0.113.1"), T0 + 1s), BindResult::Bound);
  EXPECT_EQ(b.check("new.example", ip("203.0.113.4"), T0 + 1s), BindResult::Bound);

  NameBindings big;  // the default bound: 65,536 names
  for (int i = 0; i < 70'000; ++i) big.learn(answer({"n" + std::to_string(i) + ".example"}, {"203.0.113.9"}, 60 + i), T0);
  EXPECT_EQ(big.names(), 65'536u);
  EXPECT_EQ(big.counters().evicted_names, 70'000u - 65'536u);
  EXPECT_EQ(big.check("n0.example", ip("203.0.113.9"), T0), BindResult::Unknown);
  EXPECT_EQ(big.check("n69999.example", ip("203.0.113.9"), T0), BindResult::Bound);
}

TEST(NameBindings, ExpireForgetsAfterGrace) {
  NameBindings b;
  b.learn(answer({"a.example", "b.example"}, {"203.0.113.1"}, 60), T0);
  b.learn(answer({"c.example"}, {"203.0.113.2", "203.0.113.3"}, 600), T0);
  b.expire(T0 + 359s);
  EXPECT_EQ(b.names(), 3u);
  b.expire(T0 + 360s);
  EXPECT_EQ(b.names(), 1u);
  EXPECT_EQ(b.addresses_held(), 2u);
  EXPECT_EQ(b.counters().expired, 2u);
  b.expire(T0 + 900s);
  EXPECT_EQ(b.names(), 0u);
  EXPECT_EQ(b.addresses_held(), 0u);
  EXPECT_EQ(b.counters().expired, 4u);
}

TEST(NameBindingsState, RoundTripSubtractsTheTimeThatPassed) {
  const auto wall = std::chrono::system_clock::time_point{} + 1'700'000'000s;
  NameBindings b;
  b.learn(answer({"alias.example", "target.example"}, {"203.0.113.7", "2001:db8::7"}, 300), T0);
  b.learn(answer({"short.example"}, {"203.0.113.8"}, 60), T0);
  b.learn(answer({"gone.example"}, {"203.0.113.9"}, 60), T0 - 100s);  // expired when saved: not written
  const std::string text = b.save(T0 + 500ms, wall);
  EXPECT_EQ(text,
            "nfegress-bindings 1 1700000000\n"
            "alias.example 203.0.113.7 300\nalias.example 2001:db8::7 300\n"
            "short.example 203.0.113.8 60\n"
            "target.example 203.0.113.7 300\ntarget.example 2001:db8::7 300\n");
  // A restart: a new steady clock, 100 s of wall clock later.
  const Clock::time_point T1 = Clock::time_point{} + 5s;
  NameBindings r;
  std::string error = "x";
  ASSERT_TRUE(r.load(text, T1, wall + 100s, error)) << error;
  EXPECT_TRUE(error.empty());
  EXPECT_EQ(r.names(), 2u);  // short.example expired meanwhile
  EXPECT_EQ(r.counters().learned, 0u);
  EXPECT_EQ(r.check("alias.example", ip("2001:db8::7"), T1 + 199s), BindResult::Bound);
  EXPECT_EQ(r.check("alias.example", ip("2001:db8::7"), T1 + 200s), BindResult::Unknown);
  EXPECT_EQ(r.check("short.example", ip("203.0.113.8"), T1), BindResult::Unknown);
  // The wall clock went back: nothing subtracted.
  NameBindings back;
  ASSERT_TRUE(back.load(text, T1, wall - 1000s, error)) << error;
  EXPECT_EQ(back.names(), 3u);
  EXPECT_EQ(back.save(T1, wall), text);
}

TEST(NameBindingsState, MalformedLinesAreNamed) {
  const auto wall = std::chrono::system_clock::time_point{} + 1'700'000'000s;
  const std::string head = "nfegress-bindings 1 1700000000\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "line 1: empty"},
      {"hello\n", "line 1: not a bindings state file"},
      {"nfegress-bindings 2 1700000000\n", "line 1: version 2"},
      {"nfegress-bindings 1 soon\n", "line 1: saving time"},
      {head + "a.example 203.0.113.1\n", "line 2: want"},
      {head + "a.example 203.0.113.1 60 extra\n", "line 2: want"},
      {head + "a.example  203.0.113.1 60\n", "line 2: want"},
      {head + "\na..example 203.0.113.1 60\n", "line 3: \"a..example\" is not a host name"},
      {head + "a.example 203.0.113.300 60\n", "line 2: \"203.0.113.300\" is not an IP address"},
      {head + "a.example 203.0.113.1 -5\n", "line 2: remaining seconds"},
      {head + "a.example 203.0.113.1 6x\n", "line 2: remaining seconds"},
  };
  for (const auto& [text, want] : cases) {
    NameBindings fresh;
    std::string error;
    EXPECT_FALSE(fresh.load(text, T0, wall, error)) << text;
    EXPECT_EQ(error.substr(0, want.size()), want) << text;
    EXPECT_EQ(fresh.names(), 0u) << text;
  }
  // An error after valid lines loads none of them, and what was held stays.
  NameBindings b;
  b.learn(answer({"kept.example"}, {"203.0.113.1"}, 60), T0);
  std::string error;
  EXPECT_FALSE(b.load(head + "ok.example 203.0.113.2 60\nbad\n", T0, wall, error));
  EXPECT_EQ(error, "line 3: want \"<name> <address> <seconds>\"");
  EXPECT_EQ(b.names(), 1u);
  EXPECT_EQ(b.check("kept.example", ip("203.0.113.1"), T0), BindResult::Bound);
}

}  // namespace
}  // namespace nfegress::enforcer
