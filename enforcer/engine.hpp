// enforcer/engine.hpp — layer: pure decision state machine. Every queued packet goes in, verdicts come out:
// an undecided flow's client segments are held (no verdict) until its TLS ClientHello or HTTP request decides,
// then all are released in sequence order: allow = the conntrack mark ALLOW (set through ctnetlink, ct_msg.hpp)
// and NF_ACCEPT; deny = NF_REPEAT with the DENY packet mark; an allowed request of an inspected HTTP connection =
// NF_ACCEPT alone (docs/architecture.md, "The enforcer"). Bounds (bytes, segments, time, flows) deny and are
// counted.
// Must not: touch a socket, read a clock (the caller passes `now`), throw on any packet content.
#pragma once
#include <chrono>
#include <deque>
#include <functional>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "enforcer/binding_check.hpp"
#include "enforcer/client_policies.hpp"
#include "enforcer/counters.hpp"
#include "enforcer/decision.hpp"
#include "enforcer/flow.hpp"
#include "enforcer/forged_reply.hpp"
#include "enforcer/nfq_msg.hpp"
#include "enforcer/packet.hpp"

namespace nfegress::enforcer {

enum class Outcome : std::uint8_t;

struct EngineLimits {
  ReassemblyLimits reassembly{};             // 16 KiB and 64 segments of undecided bytes per flow
  std::size_t max_flows = 4096;              // undecided flows plus inspected keep-alive HTTP connections
  std::chrono::milliseconds timeout{5000};   // a held packet waits at most this long for a decision
  std::chrono::milliseconds decided_ttl{5000};   // a decision is remembered for packets still in the queue
  std::uint32_t late_window = 256 * 1024;        // ... whose sequence numbers are at most this far past it
  std::size_t max_decided = 65536;
  std::chrono::milliseconds http_idle{600000};   // an inspected HTTP connection holding nothing is forgotten
  // Issue 19: parked copies (all flows together) at most this many bytes; beyond it segments are held in the
  // queue as before (the stall comes back, nothing is let through).
  std::size_t max_parked_bytes = 32u << 20;
  // ... and a flow allowed as a whole sends its parked copies once more this long after their release (their
  // bytes were acknowledged to the client, so its TCP will not resend a copy lost on the way to the server).
  std::chrono::milliseconds resend_after{300};
};

struct QueuedPacket {
  std::uint16_t queue = 0;
  std::uint32_t id = 0;
  std::uint32_t mark = 0;  // NFQA_MARK as queued
  bool truncated = false;  // NFQA_CAP_LEN: the copy was cut
  std::span<const std::uint8_t> l3;
  bool gso = false;        // NFQA_SKB_GSO: larger than the path's MTU until segmented (parked in pieces)
};

// Sends the forged 403 segment of a denied HTTP/1.x request; true when it was sent. Called before the verdicts of
// the flow's held packets are appended, so the client has the 403 and the FIN before the reset.
using DenyResponder = std::function<bool(const ForgedReply&)>;
// Issue 19: sends one whole IP packet (header included) to its destination address; true when it was sent. The
// engine gives it exactly three kinds: a pure ACK (or RST) toward the client in the server's name, and a parked
// copy of the client's own segment after its flow or request was allowed.
using PacketSender = std::function<bool(std::span<const std::uint8_t>)>;

// Set nfegress's bits of a connection's conntrack mark (ctnetlink) after the verdict it travels with.
struct CtMarkSet {
  FlowKey key;
  std::uint32_t mask = 0;
  std::uint32_t value = 0;
  friend bool operator==(const CtMarkSet&, const CtMarkSet&) = default;
};

struct VerdictOut {
  VerdictOut() = default;
  VerdictOut(std::uint16_t q, std::uint32_t i, nfq::Verdict v, std::optional<std::uint32_t> m,
             std::optional<CtMarkSet> c = std::nullopt, std::vector<std::uint8_t> bytes = {})
      : queue(q), id(i), verdict(v), mark(m), ct(std::move(c)), payload(std::move(bytes)) {}
  std::uint16_t queue = 0;
  std::uint32_t id = 0;
  nfq::Verdict verdict = nfq::Verdict::Drop;
  std::optional<std::uint32_t> mark;
  std::optional<CtMarkSet> ct;  // sent right after this verdict (the flow's last held packet)
  // Accepted after being read: the packet leaves with exactly these bytes (NFQA_PAYLOAD; wire.hpp). Empty: as is.
  std::vector<std::uint8_t> payload;
  bool ct_only = false;  // no verdict: only `ct` (a denied flow whose packets were all parked: ct mark DENY)
  // The verdict itself; tests that care about the bytes compare `payload` on their own.
  friend bool operator==(const VerdictOut& a, const VerdictOut& b) {
    return a.queue == b.queue && a.id == b.id && a.verdict == b.verdict && a.mark == b.mark && a.ct == b.ct &&
           a.ct_only == b.ct_only;
  }
};

class Engine {
 public:
  Engine(std::shared_ptr<const CompiledPolicy> policy, std::string client_ns, EngineLimits limits,
         Counters& counters);

  // Live reload hook: flows that start afterwards use the new policy, and so do the later requests of inspected
  // HTTP/1.x, HTTP/2 and gRPC connections that already had one allowed; flows already decided keep their decision
  // (ct mark), flows still waiting for their first decision finish with the policy they started with.
  void set_policy(std::shared_ptr<const CompiledPolicy> p);
  const std::shared_ptr<const CompiledPolicy>& policy() const { return policy_; }
  // Node and gateway mode: a new flow starts with its client's policy, by source address (`set_policy` is then
  // the fallback's); a flow from an address that is no client's is denied (the kernel queues only clients'
  // packets: the client was removed while its packet waited). Swapped like set_policy.
  void set_clients(std::shared_ptr<const ClientPolicies> c);
  const std::shared_ptr<const ClientPolicies>& clients() const { return clients_; }
  void set_decision_callback(DecisionCallback cb) { on_decision_ = std::move(cb); }
  // Denied HTTP/1.x requests are answered with `403 traffic not allowed` through `r` (none: reset only).
  void set_http_deny_responder(DenyResponder r) { responder_ = std::move(r); }
  // Issue 17: bind hostname allows to the names' addresses (`b` outlives the engine; nullptr: off). In resolve
  // mode `resolver` is asked for every name a held flow waits for; on_resolved() then decides those flows.
  void set_name_binding(BindingMode mode, const NameBindings* b, std::function<void(const std::string&)> resolver) {
    binding_mode_ = mode;
    bindings_ = b;
    resolver_ = std::move(resolver);
  }
  void on_resolved(const std::string& name, Clock::time_point now, std::vector<VerdictOut>& out);
  // Issue 19 ("no stall"): with a sender, a segment of an undecided flow is parked instead of held: its bytes are
  // kept, the kernel drops it (so the client's TCP small queues and autocork let the next write out) and the
  // client is acknowledged; after an allow the copies are sent on (engine_park.cpp). Without one: held, as before.
  // `v4`/`v6`: the families the sender can send (a family without a raw socket holds, as before).
  void set_packet_sender(PacketSender s, bool v4 = true, bool v6 = true) {
    sender_ = std::move(s);
    park4_ = v4;
    park6_ = v6;
  }
  std::size_t parked_bytes() const { return parked_bytes_; }

  // One queued packet. Appends zero or more verdicts (for this and for earlier held packets) to `out`.
  void on_packet(const QueuedPacket& q, Clock::time_point now, std::vector<VerdictOut>& out);
  // Timeouts (deny, counted) and forgetting old state. Call periodically (the runtime ticks every 100 ms).
  void expire(Clock::time_point now, std::vector<VerdictOut>& out);

  std::size_t tracked_flows() const { return flows_.size(); }
  std::size_t remembered_decisions() const { return decided_.size(); }

 private:
  // A decision remembered for packets of the flow that were already queued when it was taken. Only sequence
  // numbers near the decided bytes count: a new connection reusing the 5-tuple has another ISN and is inspected.
  struct Decided {
    bool allow = false;
    bool remark = false;      // allow decided on a SYN with data: mark the entry once its handshake's ACK comes
    std::uint32_t end = 0;    // past the last decided byte (that ACK's sequence number)
    std::uint32_t lo = 0;     // first sequence number of the decided flow
    std::uint32_t span = 0;   // lo + span: past the last held byte plus the late window
    Clock::time_point expires{};
  };
  using FlowMap = std::unordered_map<FlowKey, Flow, FlowKeyHash>;

  void finish(FlowMap::iterator it, bool allow, Clock::time_point now, std::vector<VerdictOut>& out);
  void deny_bound(FlowMap::iterator it, Count& counter, std::string reason, Clock::time_point now,
                  std::vector<VerdictOut>& out);
  void release_passed(Flow& f, std::vector<VerdictOut>& out);
  void remember(const FlowKey& k, bool allow, bool remark, std::uint32_t lo, std::uint32_t hi, Clock::time_point now);
  void on_late(Decided& d, const QueuedPacket& q, const Packet& p, const FlowKey& k, std::vector<VerdictOut>& out);
  bool anchored_elsewhere(const Decided& d, const QueuedPacket& q, const Packet& p) const;
  void emit(std::vector<DecisionRecord>& records);
  void answer_denied_http(const Flow& f, const FlowKey& k);
  bool deny_urgent(const QueuedPacket& q, const Packet& p, const FlowKey& k, FlowMap::iterator it,
                   std::uint32_t data_seq, Clock::time_point now, std::vector<VerdictOut>& out);
  // The policy a new flow from `src` starts with and its client namespace (pod mode: the one policy; node mode:
  // the client's, `ns` nullptr when the address is no client's).
  ClientPolicies::Found select(const policy::IpAddr& src) const;
  void move_open_connections();  // after a swap: open inspected connections follow the new policy
  void on_new_flow(const QueuedPacket& q, const Packet& p, const FlowKey& k, std::uint32_t data_seq,
                   Clock::time_point now, std::vector<VerdictOut>& out);
  void decide_unread(const QueuedPacket& q, const Packet& p, const FlowKey& k, DecisionRecord r,
                     const policy::KernelOptions& ko, std::uint32_t data_seq, Clock::time_point now,
                     std::vector<VerdictOut>& out);
  void unanchored(const QueuedPacket& q, const Packet& p, const FlowKey& k, const ClientPolicies::Found& sel,
                  const policy::Decision& l4, std::uint32_t data_seq, Clock::time_point now,
                  std::vector<VerdictOut>& out);
  void inspect_and_act(FlowMap::iterator it, Clock::time_point now, std::vector<VerdictOut>& out);
  void act(FlowMap::iterator it, Outcome o, Clock::time_point now, std::vector<VerdictOut>& out);
  void park(const FlowKey& k, const QueuedPacket& q, const Packet& p, std::vector<VerdictOut>& out);
  void park_rest(const FlowKey& k, std::vector<VerdictOut>& out);
  bool park_entry(Flow& f, std::size_t i, bool split, std::vector<VerdictOut>& out);
  void ack_client(Flow& f, const FlowKey& k);
  bool start_release(Flow& f, Release kind, std::uint32_t upto);
  void on_carrier(FlowMap::iterator it, const QueuedPacket& q, const Packet& p, std::uint32_t data_seq,
                  Clock::time_point now, std::vector<VerdictOut>& out);
  void deny_parked(const Flow& f, const FlowKey& k, std::vector<VerdictOut>& out);
  void forget_parked(const Flow& f);
  void drop_deferred(Flow& f, std::vector<VerdictOut>& out);
  void schedule_resend(const std::vector<std::uint8_t>& wire, Clock::time_point now);
  void send_due(Clock::time_point now);
  void on_data(FlowMap::iterator it, const QueuedPacket& q, const Packet& p, std::uint32_t data_seq, std::uint32_t end,
               std::span<const std::uint8_t> payload, Clock::time_point now, std::vector<VerdictOut>& out);

  std::shared_ptr<const CompiledPolicy> policy_;
  std::shared_ptr<const ClientPolicies> clients_;  // node mode; null in pod mode
  std::string client_ns_;
  EngineLimits limits_;
  Counters& c_;
  DecisionCallback on_decision_;
  DenyResponder responder_;
  BindingMode binding_mode_ = BindingMode::Off;
  const NameBindings* bindings_ = nullptr;
  std::function<void(const std::string&)> resolver_;
  PacketSender sender_;
  bool park4_ = true, park6_ = true;  // the families sender_ can send
  std::size_t parked_bytes_ = 0;
  std::deque<std::pair<Clock::time_point, std::vector<std::uint8_t>>> resend_;  // in due order
  std::size_t resend_bytes_ = 0;
  FlowMap flows_;
  std::unordered_map<FlowKey, Decided, FlowKeyHash> decided_;
  struct Start {
    std::uint32_t seq = 0;  // the handshake's last ACK: the client's first data byte (ISN + 1)
    Clock::time_point expires{};
  };
  std::unordered_map<FlowKey, Start, FlowKeyHash> starts_;  // so a flow whose first data arrives out of order works
  // Insertion order of decided_ and starts_ with each entry's expiry (their TTLs are fixed, so the order is the
  // expiry order): expire() pops what is due instead of walking both maps every tick (issue 19's profile: the
  // walk was 5% of the enforcer's CPU at 300 connections/s). An entry refreshed or erased since is skipped.
  using ExpiryQueue = std::deque<std::pair<Clock::time_point, FlowKey>>;
  ExpiryQueue decided_order_, starts_order_;
  // SYN-ACK anchor: flows whose first data segments came unanchored (dropped), since when; denied after the timeout.
  struct Unanchored {
    Clock::time_point first{};
    Clock::time_point expires{};
  };
  std::unordered_map<FlowKey, Unanchored, FlowKeyHash> unanchored_;
  ExpiryQueue unanchored_order_;
  std::vector<DecisionRecord> records_;  // scratch
};

}  // namespace nfegress::enforcer
