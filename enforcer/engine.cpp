// enforcer/engine.cpp — layer: pure decision state machine. See engine.hpp. Packets without payload (the
// handshake's last ACK, window updates) are accepted at once unless they must stay ordered behind held data (FIN);
// retransmitted bytes already held are dropped (the held copy goes out); everything else is held until decided.
// Must not: touch a socket, read a clock, throw on packet content.
#include "enforcer/engine.hpp"

#include <netinet/in.h>

#include <algorithm>

#include "enforcer/inspect.hpp"
#include "enforcer/packet.hpp"
#include "enforcer/wire.hpp"

namespace nfegress::enforcer {
namespace {

using nfq::Verdict;

std::uint32_t with_mark(std::uint32_t old, std::uint32_t mask, std::uint32_t value) { return (old & ~mask) | value; }
// An accepted packet leaves with nfegress's bits of its mark cleared: with the SYN-ACK anchor the kernel queues the
// packet at a flow's start with the bits ALLOW (the anchor), which must not reach other tables or the routing.
std::optional<std::uint32_t> unmarked(std::uint32_t old, const policy::KernelOptions& ko) {
  if ((old & ko.mark_mask()) == 0) return std::nullopt;
  return old & ~ko.mark_mask();
}
// The kernel queued this packet at exactly the stream's start the server's SYN-ACK recorded (SYN-ACK anchor: the
// inspect_data chain sets nfegress's bits to ALLOW there and clears them on every other queued packet).
bool at_anchor(std::uint32_t mark, const policy::KernelOptions& ko) {
  return (mark & ko.mark_mask()) == ko.mark_allow();
}
// A decided flow's packet. Allow: NF_ACCEPT, with (when `mark_ct`) the ctnetlink update that sets the conntrack
// mark ALLOW right after it, so the rest of the connection is accepted by the output chain's first rules. No packet mark:
// a process with CAP_NET_RAW can forge one (SO_MARK), so the ruleset no longer takes ALLOW from a packet mark.
// Deny: NF_REPEAT with the DENY packet mark; the output chain copies it into the conntrack mark and resets (a
// forged DENY only denies its sender).
VerdictOut decided(std::uint16_t queue, std::uint32_t id, std::uint32_t old_mark, bool allow, const FlowKey& k,
                   const policy::KernelOptions& ko, bool mark_ct) {
  if (!allow) return {queue, id, Verdict::Repeat, with_mark(old_mark, ko.mark_mask(), ko.mark_deny()), std::nullopt};
  VerdictOut v{queue, id, Verdict::Accept, unmarked(old_mark, ko), std::nullopt};
  if (mark_ct) v.ct = CtMarkSet{k, ko.mark_mask(), ko.mark_allow()};
  return v;
}
// The client's acknowledgement is where the server's next byte goes (the highest one seen, in sequence space).
void note_ack(Flow& f, const Packet& p) {
  if (!p.has(tcp_flag::Ack)) return;
  if (!f.acked || !seq_le(p.ack, f.server_next)) f.server_next = p.ack;
  f.acked = true;
}
FlowMode mode_for(policy::Inspection i) {
  return i == policy::Inspection::Http ? FlowMode::Http : i == policy::Inspection::Grpc ? FlowMode::Grpc : FlowMode::Tls;
}

}  // namespace

Engine::Engine(std::shared_ptr<const CompiledPolicy> policy, std::string client_ns, EngineLimits limits,
               Counters& counters)
    : policy_(std::move(policy)), client_ns_(std::move(client_ns)), limits_(limits), c_(counters) {}

void Engine::set_policy(std::shared_ptr<const CompiledPolicy> p) {
  policy_ = std::move(p);
  ++c_.matcher_swaps;
  move_open_connections();
}

void Engine::set_clients(std::shared_ptr<const ClientPolicies> c) {
  clients_ = std::move(c);
  if (!clients_) return;
  policy_ = clients_->fallback;
  ++c_.matcher_swaps;
  move_open_connections();
}

// An inspected connection that already had a request allowed (HTTP/1.x keep-alive, HTTP/2, gRPC) decides each
// later request: those follow the new policy, so a reload (audit -> enforce among others) reaches open
// connections too — in node mode the new policy of the connection's client (one whose address is no client's any
// more keeps the policy it had: the fallback would let it through untouched). A flow still waiting for its first
// decision finishes with the policy it started with.
void Engine::move_open_connections() {
  for (auto& [k, f] : flows_) {
    if (f.mode == FlowMode::Tls || f.requests == 0) continue;
    const ClientPolicies::Found sel = select(k.src);
    if (!sel.ns) continue;
    f.policy = sel.policy;
    f.client_ns = *sel.ns;
    f.l4 = f.policy->matcher.decide_l4(k.dst, k.dport, policy::Proto::Tcp);
  }
}

ClientPolicies::Found Engine::select(const policy::IpAddr& src) const {
  if (!clients_) return {policy_, &client_ns_};
  return clients_->find(src);
}

void Engine::emit(std::vector<DecisionRecord>& records) {
  if (on_decision_)
    for (const auto& r : records) on_decision_(r);
  records.clear();
}

void Engine::remember(const FlowKey& k, bool allow, bool remark, std::uint32_t lo, std::uint32_t hi,
                      Clock::time_point now) {
  if (decided_.size() >= limits_.max_decided && !decided_.contains(k)) decided_.erase(decided_.begin());
  decided_[k] = Decided{allow, allow && remark, hi, lo, hi - lo + limits_.late_window, now + limits_.decided_ttl};
  decided_order_.emplace_back(now + limits_.decided_ttl, k);
}

// A packet of a decided flow that was already queued when the decision was sent. Deny: the same verdict. Allow:
// bytes are dropped, not accepted: without the SYN-ACK anchor they could be a new connection on the same 5-tuple
// (its SYN clears the mark) whose sequence numbers fall in the old flow's window, and would pass unread; a
// retransmission after them meets the conntrack mark in the kernel. With the anchor, bytes past the decided ones
// are accepted (below). Packets without payload are accepted; the handshake's ACK of a flow decided
// on a TCP Fast Open SYN (sequence number exactly past its bytes) sets the conntrack mark, once: the SYN's own
// update found no entry, since conntrack confirms it only after the SYN leaves.
void Engine::on_late(Decided& d, const QueuedPacket& q, const Packet& p, const FlowKey& k,
                     std::vector<VerdictOut>& out) {
  ++c_.packets_late;
  const auto& ko = policy_->plan.kernel;
  if (!d.allow) {
    out.push_back(decided(q.queue, q.id, q.mark, false, k, ko, false));
    return;
  }
  if (!p.payload.empty()) {
    // SYN-ACK anchor: bytes past the decided ones that are not the stream's start are the allowed connection's
    // next bytes, queued before the ctnetlink update that follows the verdict landed (the server answered the
    // released first flight on another CPU meanwhile: dropped, the client resent them after its 200 ms
    // retransmission timeout). They can only reach the server's reader after the bytes that were read. A new
    // connection on the same 5-tuple starts at its own anchor (anchored_elsewhere) and is inspected afresh.
    const auto& ko = policy_->plan.kernel;
    if (ko.syn_ack_anchor && !p.has(tcp_flag::Syn) && !at_anchor(q.mark, ko) && seq_le(d.end, p.seq)) {
      out.push_back({q.queue, q.id, Verdict::Accept, unmarked(q.mark, ko), std::nullopt});
      return;
    }
    out.push_back({q.queue, q.id, Verdict::Drop, std::nullopt});
    return;
  }
  const bool remark = d.remark && p.seq == d.end && !p.has(tcp_flag::Syn);
  if (remark) d.remark = false;
  out.push_back(decided(q.queue, q.id, q.mark, true, k, ko, remark));
}

// SYN-ACK anchor: a packet queued at a stream's start (the mark ALLOW) that is not the decided flow's own start is
// the first segment of a new connection on the same 5-tuple, not a late packet of the decided one.
bool Engine::anchored_elsewhere(const Decided& d, const QueuedPacket& q, const Packet& p) const {
  const auto& ko = policy_->plan.kernel;
  return ko.syn_ack_anchor && !p.payload.empty() && !p.has(tcp_flag::Syn) && at_anchor(q.mark, ko) &&
         p.seq != d.lo;
}

// Releases every held packet in sequence order: allow = the conntrack mark ALLOW, then NF_ACCEPT each; deny = the
// first NF_REPEAT + DENY mark (ct mark DENY, reset to the client), the rest dropped. The decision is remembered
// for packets still waiting in the queue.
void Engine::finish(FlowMap::iterator it, bool allow, Clock::time_point now, std::vector<VerdictOut>& out) {
  Flow& f = it->second;
  const auto& ko = f.policy->plan.kernel;
  const std::uint32_t origin = f.origin;
  std::stable_sort(f.held.begin(), f.held.end(), [origin](const HeldPacket& a, const HeldPacket& b) {
    return static_cast<std::int32_t>(a.seq - origin) < static_cast<std::int32_t>(b.seq - origin);
  });
  // The conntrack mark travels with the last accepted packet and is sent after its verdict: until then every
  // packet of the flow still comes here (and bytes are dropped as late), so nothing written around the verdicts,
  // e.g. by a raw socket with the flow's sequence numbers, reaches the server ahead of the bytes that were read.
  // Parked copies (engine_park.cpp) are sent on first and come back through the queue; then this runs again.
  if (allow && start_release(f, Release::Flow, 0)) return;
  bool carried = false;  // deny: the DENY mark went out with a queued packet
  for (std::size_t i = 0; i < f.held.size(); ++i) {
    HeldPacket& h = f.held[i];
    if (h.parked) continue;  // deny: its kernel packet was dropped when it was parked; nothing of it leaves
    if (allow || !carried) out.push_back(decided(h.queue, h.id, h.mark, allow, it->first, ko, i + 1 == f.held.size()));
    else out.push_back({h.queue, h.id, Verdict::Drop, std::nullopt});
    carried = true;
    if (allow && h.injected) schedule_resend(h.wire, now);  // engine_park.cpp
    if (allow) out.back().payload = std::move(h.wire);
  }
  if (!allow && !carried && !f.held.empty()) deny_parked(f, it->first, out);
  std::uint32_t hi = f.buf.contiguous_end_seq();
  for (const HeldPacket& h : f.held)
    if (!seq_le(h.end, hi)) hi = h.end;
  remember(it->first, allow, f.syn_data, origin, hi, now);
  forget_parked(f);
  drop_deferred(f, out);  // a release cut short (a bound): what waited behind it is dropped too
  flows_.erase(it);
}

// HTTP: packets whose bytes all belong to allowed requests go out with NF_ACCEPT (the flow stays inspected).
void Engine::release_passed(Flow& f, std::vector<VerdictOut>& out) {
  const std::uint32_t start = f.buf.start_seq(), origin = f.origin;
  std::stable_sort(f.held.begin(), f.held.end(), [origin](const HeldPacket& a, const HeldPacket& b) {
    return static_cast<std::int32_t>(a.seq - origin) < static_cast<std::int32_t>(b.seq - origin);
  });
  if (start_release(f, Release::Passed, start)) return;  // parked copies first (engine_park.cpp)
  std::size_t kept = 0;
  for (std::size_t i = 0; i < f.held.size(); ++i) {
    HeldPacket& h = f.held[i];
    if (seq_le(h.end, start)) {
      out.push_back({h.queue, h.id, Verdict::Accept, unmarked(h.mark, f.policy->plan.kernel), std::nullopt,
                     std::move(h.wire)});
      ++c_.packets_passed;
    } else if (kept++ != i) {
      f.held[kept - 1] = std::move(h);
    }
  }
  f.held.resize(kept);
}

void Engine::on_packet(const QueuedPacket& q, Clock::time_point now, std::vector<VerdictOut>& out) {
  Packet p;
  if (decode_packet(q.l3, p) != DecodeStatus::Ok || p.l4proto != IPPROTO_TCP) {
    ++c_.packets_malformed;
    out.push_back({q.queue, q.id, Verdict::Drop, std::nullopt});
    return;
  }
  const FlowKey k{p.src, p.dst, p.sport, p.dport};
  if (auto d = decided_.find(k); d != decided_.end()) {
    if (p.seq - d->second.lo <= d->second.span && !anchored_elsewhere(d->second, q, p))
      return on_late(d->second, q, p, k, out);
    decided_.erase(d);  // another connection on the same 5-tuple: inspected afresh
  }
  const bool syn = p.has(tcp_flag::Syn), fin = p.has(tcp_flag::Fin), rst = p.has(tcp_flag::Rst);
  const std::uint32_t data_seq = syn ? p.seq + 1 : p.seq;
  auto it = flows_.find(k);
  if (it != flows_.end()) note_ack(it->second, p);
  if (it != flows_.end() && it->second.releasing != Release::None && (!p.payload.empty() || fin) && !rst) {
    on_carrier(it, q, p, data_seq, now, out);  // a parked copy coming back, or kept for later (engine_park.cpp)
    c_.flows_pending = flows_.size();
    return;
  }
  if (p.has(tcp_flag::Urg) && !rst && deny_urgent(q, p, k, it, data_seq, now, out)) return;
  if (p.payload.empty()) {
    if (it != flows_.end() && !it->second.held.empty() && fin && !rst) {  // keep the FIN behind the held data
      it->second.held.push_back({data_seq, data_seq, q.queue, q.id, q.mark, now, {}});
      it->second.closing = true;
      ++c_.packets_held;
      return;
    }
    ++c_.packets_empty;
    out.push_back({q.queue, q.id, Verdict::Accept, std::nullopt});
    if (it == flows_.end() && !syn && !fin && !rst && p.has(tcp_flag::Ack) && starts_.size() < limits_.max_flows)
    {
      starts_[k] = Start{p.seq, now + limits_.timeout};
      starts_order_.emplace_back(now + limits_.timeout, k);
    }
    if (it != flows_.end() && (fin || rst)) {
      for (const HeldPacket& h : it->second.held)
        if (!h.parked) out.push_back({h.queue, h.id, Verdict::Drop, std::nullopt});
      forget_parked(it->second);
      drop_deferred(it->second, out);
      flows_.erase(it);  // the client closed or aborted: nothing more to inspect
    }
  } else if (it == flows_.end()) {
    on_new_flow(q, p, k, data_seq, now, out);
    park(k, q, p, out);
  } else {
    it->second.closing = it->second.closing || fin;
    on_data(it, q, p, data_seq, data_seq + static_cast<std::uint32_t>(p.payload.size()), p.payload, now, out);
    park(k, q, p, out);
  }
  c_.flows_pending = flows_.size();
}

void Engine::on_new_flow(const QueuedPacket& q, const Packet& p, const FlowKey& k, std::uint32_t data_seq,
                         Clock::time_point now, std::vector<VerdictOut>& out) {
  const ClientPolicies::Found sel = select(k.src);
  const policy::Decision l4 = sel.policy->matcher.decide_l4(k.dst, k.dport, policy::Proto::Tcp);
  const bool bound = sel.ns && l4.needs_inspection && flows_.size() >= limits_.max_flows;
  if (!sel.ns || !l4.needs_inspection || bound) {
    // Decided without inspection: the port is no longer inspected (the policy changed since `init`), there are
    // too many pending flows, or (node mode) the source is no longer a client (denied, counted).
    DecisionRecord r = base_record(sel.policy->plan, l4, k, sel.ns ? *sel.ns : std::string());
    apply_decision(r, sel.policy, l4);
    if (bound) {
      ++c_.bound_pending_flows;
      r.verdict = FlowVerdict::Deny;
      r.reason = "bound: too many pending flows (" + std::to_string(limits_.max_flows) + ")";
    } else if (!sel.ns) {
      r.verdict = FlowVerdict::Deny;
      r.reason = "node mode: the source address is no client's (removed while its packet waited)";
    } else {
      audit_denial(r, sel.policy->plan, l4, c_);  // an audited network's port default: let through, a would-deny
    }
    return decide_unread(q, p, k, std::move(r), sel.policy->plan.kernel, data_seq, now, out);
  }
  // With the SYN-ACK anchor (the kernel has it, docs/architecture.md) the stream starts where the server's SYN-ACK
  // says, which conntrack checked against the client's SYN: the kernel marks the packet at exactly that sequence
  // number, and only such a packet starts a flow here. Anything else is dropped (the client's TCP sends its first
  // segment again) and, still unanchored after the timeout, denied: a decoy at another sequence number ("gap",
  // docs/security.md) is never read as the stream's start.
  std::uint32_t origin = data_seq;
  const auto& ko = sel.policy->plan.kernel;
  if (ko.syn_ack_anchor && !p.has(tcp_flag::Syn)) {
    if (!at_anchor(q.mark, ko)) return unanchored(q, p, k, sel, l4, data_seq, now, out);
    unanchored_.erase(k);
  } else if (auto s = starts_.find(k); s != starts_.end()) {
    // Without the anchor the stream starts where the handshake's ACK says, strictly: a first segment before it
    // ("old" data the server drops as a duplicate) or past the reassembly window (a gap the real first bytes fill
    // later) is not read as the stream's start, it is denied by the buffer (before start / over the bound).
    // Without a recorded ACK (a SYN with data, or an ACK the queue never saw) the first segment is the start.
    if (!p.has(tcp_flag::Syn)) origin = s->second.seq;
    starts_.erase(s);
  }
  auto it = flows_.try_emplace(k, sel.policy, l4, mode_for(l4.inspection), origin, limits_.reassembly).first;
  it->second.client_ns = *sel.ns;
  ++c_.flows_started;
  note_ack(it->second, p);
  if (p.has(tcp_flag::Syn)) {
    ++c_.tfo_syn_data;
    it->second.syn_data = true;
  }
  it->second.closing = p.has(tcp_flag::Fin);
  on_data(it, q, p, data_seq, data_seq + static_cast<std::uint32_t>(p.payload.size()), p.payload, now, out);
}

// A new flow decided without reading its bytes (r says how and why): its packet's verdict, the decision remembered
// for the packets still queued, the record logged.
void Engine::decide_unread(const QueuedPacket& q, const Packet& p, const FlowKey& k, DecisionRecord r,
                           const policy::KernelOptions& ko, std::uint32_t data_seq, Clock::time_point now,
                           std::vector<VerdictOut>& out) {
  const bool allow = r.verdict == FlowVerdict::Allow;
  ++(allow ? c_.flows_allowed : c_.flows_denied);
  out.push_back(decided(q.queue, q.id, q.mark, allow, k, ko, true));
  remember(k, allow, p.has(tcp_flag::Syn), data_seq, data_seq + static_cast<std::uint32_t>(p.payload.size()), now);
  records_.push_back(std::move(r));
  emit(records_);
}

// A first data segment that is not at the anchored start (SYN-ACK anchor): dropped, and the flow denied when it
// is still unanchored `timeout` after its first such segment (a decoy's flow; or a first byte sent more than the
// anchor set's timeout after the handshake, or the set was full: docs/architecture.md).
void Engine::unanchored(const QueuedPacket& q, const Packet& p, const FlowKey& k, const ClientPolicies::Found& sel,
                        const policy::Decision& l4, std::uint32_t data_seq, Clock::time_point now,
                        std::vector<VerdictOut>& out) {
  auto u = unanchored_.find(k);
  if (u == unanchored_.end()) {
    if (unanchored_.size() < limits_.max_flows) {
      unanchored_.emplace(k, Unanchored{now, now + 2 * limits_.timeout});
      unanchored_order_.emplace_back(now + 2 * limits_.timeout, k);
    }
  } else if (now - u->second.first >= limits_.timeout) {
    unanchored_.erase(u);
    DecisionRecord r = base_record(sel.policy->plan, l4, k, *sel.ns);
    apply_decision(r, sel.policy, l4);
    r.verdict = FlowVerdict::Deny;
    r.reason = "bound: no first byte at the stream's start (SYN-ACK anchor) within " +
               std::to_string(limits_.timeout.count()) + " ms";
    ++c_.bound_unanchored;
    return decide_unread(q, p, k, std::move(r), sel.policy->plan.kernel, data_seq, now, out);
  }
  ++c_.packets_unanchored;
  out.push_back({q.queue, q.id, Verdict::Drop, std::nullopt});
}

void Engine::on_data(FlowMap::iterator it, const QueuedPacket& q, const Packet& p, std::uint32_t data_seq,
                     std::uint32_t end, std::span<const std::uint8_t> payload, Clock::time_point now,
                     std::vector<VerdictOut>& out) {
  Flow& f = it->second;
  f.last_seen = now;
  f.held.push_back({data_seq, end, q.queue, q.id, q.mark, now, wire_copy(q.l3, p)});
  ++c_.packets_held;
  if (q.truncated) return deny_bound(it, c_.packets_truncated, "bound: packet copy truncated", now, out);
  if (f.held.size() > std::size_t{limits_.reassembly.max_segments} + 8)
    return deny_bound(it, c_.bound_segments, "bound: too many held segments", now, out);

  // HTTP, nothing buffered and this segment is next: body bytes of an allowed request are framed straight from
  // the packet (a GSO packet of body may be larger than the reassembly window).
  if (f.mode == FlowMode::Http && !f.h2 && f.requests > 0 && f.buf.segments() == 0 && data_seq == f.buf.start_seq()) {
    const std::size_t n = f.framer.consume_body(payload);
    if (f.framer.failed()) {
      ++c_.requests_denied;
      return deny_bound(it, c_.parse_failures_http, "parse: malformed HTTP body framing", now, out);
    }
    if (n > 0) {
      f.buf = FlowBuffer(data_seq + static_cast<std::uint32_t>(n), limits_.reassembly);
      data_seq += static_cast<std::uint32_t>(n);
      payload = payload.subspan(n);
    }
    // After an Upgrade/CONNECT: a WebSocket frame or a tunnel's TLS needs no buffering (it may be a 64 KB packet).
    if (switched_protocols(f, payload)) return finish(it, true, now, out);
  }
  if (!payload.empty()) {
    switch (f.buf.add(data_seq, payload)) {
      case AddResult::Ok:
        break;
      case AddResult::Duplicate:  // a retransmission of bytes we hold: the held copy goes out with the verdict
        f.held.pop_back();
        out.push_back({q.queue, q.id, Verdict::Drop, std::nullopt});
        return;
      case AddResult::BeforeStart:
        if (f.h2 && f.requests == 0) {  // HTTP/2 preface/SETTINGS read but still held: the held copy goes out
          f.held.pop_back();
          out.push_back({q.queue, q.id, Verdict::Drop, std::nullopt});
          return;
        }
        if (f.mode != FlowMode::Tls && f.requests > 0) {  // bytes of an allowed request, retransmitted
          f.held.pop_back();
          out.push_back({q.queue, q.id, Verdict::Accept, unmarked(q.mark, f.policy->plan.kernel), std::nullopt});
          ++c_.packets_passed;
          return;
        }
        return deny_bound(it, c_.missed_start, "bound: data before the flow's first byte", now, out);
      case AddResult::Conflict:
        return deny_bound(it, c_.overlap_conflicts, "bound: overlapping segments with different bytes", now, out);
      case AddResult::OverLimit:
        if (f.buf.segments() >= f.buf.limits().max_segments)
          return deny_bound(it, c_.bound_segments, "bound: too many segments before a decision", now, out);
        return deny_bound(it, c_.bound_bytes, "bound: no decision within the first " +
                                                  std::to_string(f.buf.limits().max_bytes) + " bytes",
                          now, out);
    }
  }
  if (payload.empty()) return act(it, Outcome::Progress, now, out);
  if (!f.awaiting.empty()) return;  // its name is being resolved: inspected again when the answer is in
  inspect_and_act(it, now, out);
}

void Engine::inspect_and_act(FlowMap::iterator it, Clock::time_point now, std::vector<VerdictOut>& out) {
  Flow& f = it->second;
  const BindingContext binding{bindings_ ? binding_mode_ : BindingMode::Off, bindings_, now};
  InspectContext ctx{it->first, f.client_ns, c_, records_, binding};
  const Outcome o = inspect_flow(f, ctx);
  if (o == Outcome::DenyFlow) answer_denied_http(f, it->first);  // before the log line: it says `response`
  emit(records_);
  if (!f.awaiting.empty() && o != Outcome::DenyFlow && o != Outcome::AllowFlow) {
    ++c_.resolves_requested;
    if (resolver_) resolver_(f.awaiting);
  }
  act(it, o, now, out);
}

// Name binding, resolve mode: `name` was resolved (its answer learned, or the resolve failed). Every flow waiting
// for it is inspected again; a miss now denies.
void Engine::on_resolved(const std::string& name, Clock::time_point now, std::vector<VerdictOut>& out) {
  std::vector<FlowKey> waiting;
  for (auto& [k, f] : flows_)
    if (f.awaiting == name) waiting.push_back(k);
  for (const FlowKey& k : waiting) {
    auto it = flows_.find(k);
    if (it == flows_.end()) continue;
    Flow& f = it->second;
    f.awaiting.clear();
    if (f.resolved.size() < 8) f.resolved.push_back(name);
    inspect_and_act(it, now, out);
  }
  c_.flows_pending = flows_.size();
}

void Engine::act(FlowMap::iterator it, Outcome o, Clock::time_point now, std::vector<VerdictOut>& out) {
  Flow& f = it->second;
  switch (o) {
    case Outcome::Wait:
      return;
    case Outcome::Progress:
      release_passed(f, out);
      if (f.closing && f.held.empty()) flows_.erase(it);
      return;
    case Outcome::AllowFlow:
      if (f.requests == 0) ++c_.flows_allowed;
      return finish(it, true, now, out);
    case Outcome::DenyFlow:
      ++c_.flows_denied;
      return finish(it, false, now, out);
  }
}

namespace {
// Pops the due entries of `order` and erases each from `map` unless it was refreshed since (a later expiry). The
// queue holds one entry per insertion: if entries erased early pile up (more than twice the map), it is rebuilt.
template <typename Map>
void expire_due(Map& map, std::deque<std::pair<Clock::time_point, FlowKey>>& order, Clock::time_point now) {
  while (!order.empty() && order.front().first <= now) {
    if (auto it = map.find(order.front().second); it != map.end() && it->second.expires <= now) map.erase(it);
    order.pop_front();
  }
  if (order.size() <= 2 * map.size() + 64) return;
  order.clear();
  for (const auto& [k, v] : map) order.emplace_back(v.expires, k);
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
}
}  // namespace

void Engine::expire(Clock::time_point now, std::vector<VerdictOut>& out) {
  for (auto it = flows_.begin(); it != flows_.end();) {
    const auto next = std::next(it);
    const Flow& f = it->second;
    if (!f.held.empty()) {
      Clock::time_point oldest = f.held.front().arrived;
      for (const HeldPacket& h : f.held) oldest = std::min(oldest, h.arrived);
      if (now - oldest >= limits_.timeout)
        deny_bound(it, c_.bound_timeout,
                   "bound: no decision within " + std::to_string(limits_.timeout.count()) + " ms", now, out);
    } else if (now - f.last_seen >= limits_.http_idle) {
      flows_.erase(it);
    }
    it = next;
  }
  expire_due(decided_, decided_order_, now);
  expire_due(starts_, starts_order_, now);
  expire_due(unanchored_, unanchored_order_, now);
  c_.flows_pending = flows_.size();
  send_due(now);
}

}  // namespace nfegress::enforcer
