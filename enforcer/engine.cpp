// enforcer/engine.cpp — layer: pure decision state machine. See engine.hpp. Packets without payload (the
// handshake's last ACK, window updates) are accepted at once unless they must stay ordered behind held data (FIN);
// retransmitted bytes already held are dropped (the held copy goes out); everything else is held until decided.
// Must not: touch a socket, read a clock, throw on packet content.
#include "enforcer/engine.hpp"

#include <netinet/in.h>

#include <algorithm>

#include "enforcer/engine_marks.hpp"
#include "enforcer/inspect.hpp"
#include "enforcer/packet.hpp"
#include "enforcer/wire.hpp"

namespace nfegress::enforcer {
namespace {

using namespace engine_marks;

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

}  // namespace nfegress::enforcer
