// enforcer/flow.hpp — layer: pure flow state. What the engine keeps per TCP flow (keyed by the 5-tuple) while
// the flow's first bytes, or an HTTP connection's requests, are inspected: held packets, the reassembly buffer,
// the HTTP framer, and the policy the flow started with. Must not: touch a socket, read a clock (times are given).
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "enforcer/h2_stream.hpp"
#include "enforcer/http_request.hpp"
#include "enforcer/reassembly.hpp"
#include "policy/ip.hpp"
#include "policy/match.hpp"

namespace nfegress::enforcer {

// a <= b in TCP sequence space (RFC 1982 serial arithmetic: the 32-bit sequence numbers wrap).
inline bool seq_le(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) <= 0; }

using Clock = std::chrono::steady_clock;

// A plan and the matcher built over it, shared (immutable) by every flow that started while it was current.
// Live reload builds a new one and swaps the pointer; flows keep the one they started with.
struct CompiledPolicy {
  explicit CompiledPolicy(policy::Plan p) : plan(std::move(p)), matcher(plan) {}
  CompiledPolicy(const CompiledPolicy&) = delete;
  CompiledPolicy& operator=(const CompiledPolicy&) = delete;
  policy::Plan plan;        // declared first: the matcher refers to it
  policy::Matcher matcher;
};

struct FlowKey {
  policy::IpAddr src, dst;
  std::uint16_t sport = 0, dport = 0;
  friend bool operator==(const FlowKey&, const FlowKey&) = default;
};

struct FlowKeyHash {
  std::size_t operator()(const FlowKey& k) const noexcept {
    const auto mix = [](std::uint64_t h, std::uint64_t v) {
      h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
      return h;
    };
    std::uint64_t h = 0;
    h = mix(h, static_cast<std::uint64_t>(k.src.value));
    h = mix(h, static_cast<std::uint64_t>(k.src.value >> 64));
    h = mix(h, static_cast<std::uint64_t>(k.dst.value));
    h = mix(h, static_cast<std::uint64_t>(k.dst.value >> 64));
    h = mix(h, (std::uint64_t{k.sport} << 16) | k.dport | (std::uint64_t{k.src.family == policy::Family::V6} << 32));
    return static_cast<std::size_t>(h);
  }
};

// One queued packet the kernel waits a verdict for.
struct HeldPacket {
  std::uint32_t seq = 0;  // first sequence number of its payload (after the SYN for TCP Fast Open)
  std::uint32_t end = 0;  // seq + payload length (+1 for FIN)
  std::uint16_t queue = 0;
  std::uint32_t id = 0;
  std::uint32_t mark = 0;  // the packet's mark as queued (other bits are kept in the verdict mark)
  Clock::time_point arrived{};
  std::vector<std::uint8_t> wire;  // the bytes read, checksummed: what an accept sends (wire.hpp); empty: none
  // Issue 19: `parked` = the kernel's packet was dropped (the client's socket no longer counts it) and `wire` is
  // the only copy; `injected` = that copy was sent on after an allow and comes back through the queue, where it is
  // matched (same sequence numbers and bytes) and gets the verdict in this entry's place (queue/id then its own).
  bool parked = false;
  bool injected = false;
};

// A queued packet of a releasing flow that is not one of its copies: kept (its verdict pending) and read again
// when the release is done (engine_park.cpp).
struct DeferredPacket {
  std::uint16_t queue = 0;
  std::uint32_t id = 0;
  std::uint32_t mark = 0;
  bool gso = false;
  std::vector<std::uint8_t> l3;
};

// What a flow whose parked copies were sent on waits for (engine_park.cpp): the whole flow allowed, or HTTP
// requests allowed with the connection still inspected.
enum class Release : std::uint8_t { None, Flow, Passed };

// Tls: the ClientHello decides the connection. Http: every request decides (HTTP/1.x, or HTTP/2 with prior
// knowledge). Grpc: every call of a cleartext HTTP/2 connection decides; anything else gets the port's default.
enum class FlowMode : std::uint8_t { Tls, Http, Grpc };

inline FlowMode flow_mode_for(policy::Inspection i) {
  return i == policy::Inspection::Http ? FlowMode::Http : i == policy::Inspection::Grpc ? FlowMode::Grpc : FlowMode::Tls;
}

struct Flow {
  Flow(std::shared_ptr<const CompiledPolicy> p, policy::Decision l4_decision, FlowMode m, std::uint32_t start,
       ReassemblyLimits limits)
      : policy(std::move(p)), l4(std::move(l4_decision)), mode(m), origin(start), buf(start, limits) {}

  std::shared_ptr<const CompiledPolicy> policy;
  std::string client_ns;  // the namespace whose policy this is (node mode: the client's, by source address)
  policy::Decision l4;  // network and inspection kind of the destination
  FlowMode mode;
  std::uint32_t origin;  // first sequence number of the client's data
  FlowBuffer buf;        // undecided bytes (HTTP: from the first byte not yet covered by an allowed request)
  HttpStreamFramer framer;
  std::unique_ptr<H2ClientStream> h2;  // set once the bytes are the HTTP/2 preface (Http and Grpc modes)
  std::vector<HeldPacket> held;
  Clock::time_point last_seen{};
  std::uint64_t requests = 0;  // HTTP requests (HTTP/2 streams, gRPC calls) allowed on this connection
  bool closing = false;        // the client sent FIN or RST
  bool acked = false;          // a client segment with ACK was seen: server_next is known
  bool h2c_offered = false;    // the last allowed request asked to upgrade to h2c: the HTTP/2 preface may follow
  bool syn_data = false;       // the first bytes came in a SYN (TCP Fast Open): its conntrack entry is not confirmed
  std::uint32_t server_next = 0;  // the highest acknowledgement the client sent: the server's next byte
  // Issue 19: the enforcer acknowledged the client's bytes up to `acked_to` in the server's name (parked bytes),
  // and, while `releasing`, waits for the parked copies it sent on to come back through the queue.
  bool client_acked = false;
  std::uint32_t acked_to = 0;
  Release releasing = Release::None;
  std::vector<DeferredPacket> deferred;  // arrived while releasing, read once it is done
  // Name binding (issue 17, binding_check.hpp). `awaiting`: the name being resolved for the request that decides
  // next (the flow holds its packets meanwhile); `resolved`: names resolved for this flow already; `bound`: names
  // earlier requests of this connection were bound with; `h2_pending`: an HTTP/2 request decoded (HPACK state
  // moved on) but waiting for its name.
  std::string awaiting;
  std::vector<std::string> resolved;
  std::vector<std::string> bound;
  std::optional<std::pair<policy::RequestInfo, const char*>> h2_pending;
  std::size_t h2_skip = 0;  // the bytes at the buffer's start that h2_pending came from (decoded already)
};

}  // namespace nfegress::enforcer
