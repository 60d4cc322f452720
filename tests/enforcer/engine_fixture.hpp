// tests/enforcer/engine_fixture.hpp — the harness of the pure-engine tests (engine_test.cpp, engine_anchor_test.cpp):
// one Engine over the shared test policy, packets queued to it by builder, the verdicts and decision records it
// gives back. No test here.
#pragma once
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string_view>
#include <vector>

#include "enforcer/engine.hpp"
#include "engine_policy.hpp"
#include "flow_builder.hpp"
#include "test_data.hpp"

namespace nfegress::enforcer::test_support {

class EngineFixture : public ::testing::Test {
 protected:
  using Bytes = testing::Bytes;
  Counters c;
  EngineLimits limits;
  std::unique_ptr<Engine> engine;
  std::vector<DecisionRecord> records;
  std::vector<VerdictOut> out;
  Clock::time_point t0 = Clock::time_point{} + std::chrono::seconds(1000);
  std::uint32_t next_id = 1;
  std::vector<Bytes> keep;  // packet bytes live while the engine may look at them

  // A fresh engine with `l` over `kernel` (the default: KernelOptions{}, as the policy compiles).
  void start(EngineLimits l = {}, policy::KernelOptions kernel = {}) {
    limits = l;
    engine = std::make_unique<Engine>(test::compile_engine_policy(test::kEnginePolicy, kernel), "app", limits, c);
    engine->set_decision_callback([this](const DecisionRecord& r) { records.push_back(r); });
  }

  // Queues one packet (as NFQUEUE gives it: queue 100, the packet mark `mark`); returns its id.
  std::uint32_t send(const test::TcpBuilder& b, Clock::duration at = Clock::duration::zero(), std::uint32_t mark = 0) {
    keep.push_back(b.bytes());
    QueuedPacket q{100, next_id, mark, false, testing::span_of(keep.back())};
    engine->on_packet(q, t0 + at, out);
    return next_id++;
  }
  static test::TcpBuilder tls_seg(std::uint32_t seq, Bytes payload, std::uint16_t sport = 40000) {
    return test::tcp("192.0.2.1", sport, "203.0.113.10", 443).seq(seq).ack(1).payload(std::move(payload));
  }
  static test::TcpBuilder http_seg(std::uint32_t seq, std::string_view payload, std::uint16_t sport = 40001) {
    return test::tcp("192.0.2.1", sport, "203.0.113.10", 80).seq(seq).ack(1).payload(payload);
  }
  static Bytes slice(const Bytes& b, std::size_t from, std::size_t to) {
    return Bytes(b.begin() + static_cast<std::ptrdiff_t>(from), b.begin() + static_cast<std::ptrdiff_t>(to));
  }
  static Bytes flight(std::string_view file) { return testing::flight("tls", file); }
};

}  // namespace nfegress::enforcer::test_support
