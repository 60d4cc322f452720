// tests/fuzz/fuzz_engine.cpp — libFuzzer target: a program of queued packets, clock ticks and reloads through the
// enforcer's pure Engine (the flow state machine NFQUEUE feeds), with the shared Deny + TLSRoute/HTTPRoute policy
// and small bounds so every bound is reachable. The packets are what any process in the pod can send: TCP
// segments of a few flows (IPv4/IPv6, ports 443/80/8080, any flags, sequence numbers around the flow's start,
// payload from the input) and raw bytes as an IP packet.
// Invariants (abort = finding): a verdict only answers a packet that was queued and not answered yet; a verdict
// is DROP, ACCEPT or REPEAT, and a REPEAT carries exactly one of the contract's ALLOW / DENY / PASS marks; the flow
// table stays within max_flows; and once the clock has passed every bound, every queued packet has had exactly
// one verdict (a packet the engine forgot would sit in the kernel's queue for ever). Issue 19: the engine parks
// segments and emits packets through its sender; each must decode with a correct TCP checksum, one without payload
// must be an ACK or RST (toward a client), and one with payload (a parked copy sent on after an allow) is queued
// back when the program says so (segment ctl bit 6), as the kernel would after the output chain; a ct-only DENY
// answers no packet.
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "../enforcer/engine_policy.hpp"
#include "../enforcer/flow_builder.hpp"
#include "enforcer/engine.hpp"
#include "enforcer/packet.hpp"
#include "enforcer/wire.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace nfegress;
using namespace std::chrono_literals;

constexpr std::uint32_t kMarkMask = 0x00300000;
constexpr std::uint32_t kAllow = 0x00100000, kDeny = 0x00200000;

struct Input : FuzzInput {
  std::vector<std::uint8_t> bytes(std::size_t want) {
    const std::size_t k = want < n ? want : n;
    std::vector<std::uint8_t> out(p, p + k);
    p += k;
    n -= k;
    return out;
  }
};

struct FlowSpec {
  const char* src;
  std::uint16_t sport;
  const char* dst;
  std::uint16_t dport;
  std::uint32_t isn;  // the client's first data byte; near the 32-bit wrap for two of them
};

constexpr FlowSpec kFlows[] = {
    {"192.0.2.1", 40000, "203.0.113.10", 443, 1000},        {"192.0.2.1", 40001, "203.0.113.10", 80, 0xfffff000},
    {"2001:db8::1", 40002, "2001:db8:1::10", 443, 77},      {"2001:db8::1", 40003, "2001:db8:1::10", 80, 5},
    {"192.0.2.1", 40004, "203.0.113.20", 8080, 0xffffff00}, {"192.0.2.1", 40000, "203.0.113.10", 443, 900000},
};
constexpr std::size_t kFlowCount = sizeof(kFlows) / sizeof(kFlows[0]);

// Compiled once per process (immutable, shared like the runtime shares it); a reload swaps in the second copy,
// which runs under the SYN-ACK anchor (only a packet queued with the mark ALLOW starts a flow).
const std::shared_ptr<const enforcer::CompiledPolicy>& policy(int which) {
  static const std::shared_ptr<const enforcer::CompiledPolicy> p[2] = {test::compile_engine_policy(), [] {
    policy::KernelOptions k;
    k.syn_ack_anchor = true;
    return test::compile_engine_policy(test::kEnginePolicy, k);
  }()};
  return p[which];
}

class Harness {
 public:
  Harness() : engine_(policy(0), "app", limits(), counters_) {
    engine_.set_packet_sender([this](std::span<const std::uint8_t> b) {
      enforcer::Packet p;
      FUZZ_CHECK(enforcer::decode_packet(b, p) == enforcer::DecodeStatus::Ok && p.l4proto == 6);
      FUZZ_CHECK(enforcer::tcp_checksum(b, p) == 0);
      if (p.payload.empty()) {
        FUZZ_CHECK(p.has(enforcer::tcp_flag::Ack) && !p.has(enforcer::tcp_flag::Syn) && !p.has(enforcer::tcp_flag::Fin));
      } else {
        copies_.emplace_back(b.begin(), b.end());
      }
      return true;
    });
  }

  void queue(std::vector<std::uint8_t> l3, bool truncated, std::uint32_t mark = 0) {
    const std::uint32_t id = next_id_++;
    answered_.emplace(id, false);
    packets_.push_back(std::move(l3));
    enforcer::QueuedPacket q{0, id, mark, truncated, packets_.back()};
    engine_.on_packet(q, now_, out_);
    check();
  }
  void tick(std::chrono::milliseconds d) {
    now_ += d;
    engine_.expire(now_, out_);
    check();
  }
  // The parked copies sent so far come back through the queue (the output chain queues them: no ct mark yet).
  void feed_copies() {
    auto c = std::move(copies_);
    copies_.clear();
    for (auto& b : c) queue(std::move(b), false);
  }
  void reload() { engine_.set_policy(policy(engine_.policy() == policy(0) ? 1 : 0)); }
  void finish() {
    feed_copies();
    tick(1h);
    tick(1h);
    for (const auto& [id, done] : answered_) FUZZ_CHECK(done);
  }

 private:
  static enforcer::EngineLimits limits() {
    enforcer::EngineLimits l;
    l.reassembly.max_bytes = 4096;
    l.reassembly.max_segments = 8;
    l.max_flows = 3;
    l.max_decided = 4;
    l.timeout = 500ms;
    l.decided_ttl = 300ms;
    l.http_idle = 2000ms;
    return l;
  }
  void check() {
    for (const auto& v : out_) {
      if (v.ct_only) {  // a denied flow whose packets were all parked: ct mark DENY, no verdict
        FUZZ_CHECK(v.ct && v.ct->value == kDeny && v.ct->mask == kMarkMask);
        continue;
      }
      const auto it = answered_.find(v.id);
      FUZZ_CHECK(it != answered_.end());
      FUZZ_CHECK(!it->second);
      it->second = true;
      FUZZ_CHECK(v.verdict == enforcer::nfq::Verdict::Drop || v.verdict == enforcer::nfq::Verdict::Accept ||
                 v.verdict == enforcer::nfq::Verdict::Repeat);
      // NF_REPEAT carries only DENY (a packet mark never allows); an allow is NF_ACCEPT, its conntrack mark set
      // to ALLOW through ctnetlink.
      if (v.verdict == enforcer::nfq::Verdict::Repeat) {
        FUZZ_CHECK(v.mark.has_value());
        FUZZ_CHECK((*v.mark & kMarkMask) == kDeny);
        FUZZ_CHECK(!v.ct);
      } else {  // an accept leaves with nfegress's bits cleared (the anchor's ALLOW never reaches other tables)
        FUZZ_CHECK(!v.mark.has_value() || (*v.mark & kMarkMask) == 0);
      }
      if (v.ct) FUZZ_CHECK(v.verdict == enforcer::nfq::Verdict::Accept && v.ct->value == kAllow &&
                           v.ct->mask == kMarkMask);
    }
    out_.clear();
    FUZZ_CHECK(engine_.tracked_flows() <= 3);
  }

  enforcer::Counters counters_;
  enforcer::Engine engine_;
  enforcer::Clock::time_point now_ = enforcer::Clock::time_point{} + 1000s;
  std::uint32_t next_id_ = 1;
  std::unordered_map<std::uint32_t, bool> answered_;
  std::vector<std::vector<std::uint8_t>> packets_;  // queued bytes stay alive, as in the kernel's queue
  std::vector<enforcer::VerdictOut> out_;
  std::vector<std::vector<std::uint8_t>> copies_;  // parked copies the engine sent on, not queued back yet
};

}  // namespace

// Program: op (u8 % 4), then
//   0 segment: flow (u8), ctl (u8: bits 0-4 TCP flags, bit 5 truncated copy, bit 6 then queue back the parked
//              copies sent so far, bit 7 queued with the mark ALLOW: the SYN-ACK anchor), rel (u16: seq = isn +
//              rel - 256),
//              len (u16 % 2049), len payload bytes;
//   1 raw:     len (u16 % 1601), len bytes as an IP packet;
//   2 tick:    ms (u16);
//   3 reload.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in{{data, size}};
  Harness h;
  for (int steps = 0; in.n > 0 && steps < 256; ++steps) {
    switch (in.u8() % 4) {
      case 0: {
        const FlowSpec& f = kFlows[in.u8() % kFlowCount];
        const std::uint8_t ctl = in.u8();
        const std::uint32_t seq = f.isn + in.u16() - 256u;
        const std::size_t len = in.u16() % 2049;
        auto pkt = test::tcp(f.src, f.sport, f.dst, f.dport)
                       .seq(seq)
                       .ack(1)
                       .flags(static_cast<std::uint8_t>(ctl & 0x1f))
                       .payload(in.bytes(len))
                       .bytes();
        h.queue(std::move(pkt), (ctl & 0x20) != 0, (ctl & 0x80) ? kAllow : 0);
        if (ctl & 0x40) h.feed_copies();
        break;
      }
      case 1: h.queue(in.bytes(in.u16() % 1601), false); break;
      case 2: h.tick(std::chrono::milliseconds(in.u16())); break;
      default: h.reload(); break;
    }
  }
  h.finish();
  return 0;
}
