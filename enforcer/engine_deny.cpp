// enforcer/engine_deny.cpp — layer: pure decision state machine (part of Engine, engine.hpp). The ways a flow is
// denied besides a route decision in on_packet: a bound (held bytes, time, flow count) running out, urgent data
// on an inspected flow, a first segment never at the SYN-ACK anchor's start (unanchored), and the HTTP 403 answer
// that goes out before a denied first request's reset; and a new flow decided without reading its bytes
// (decide_unread).
// Must not: touch a socket (the 403 is handed to the responder), read a clock, throw on packet content.
#include "enforcer/engine.hpp"

#include "enforcer/engine_marks.hpp"
#include "enforcer/inspect.hpp"

namespace nfegress::enforcer {

using namespace engine_marks;

// A 403 only for the connection's first HTTP/1.x request, denied by a route (not a parse failure): the server
// has sent nothing but its SYN-ACK, so the client's acknowledgement is exactly where the server's next byte goes.
// A later request of a keep-alive connection gets the reset alone: the enforcer never sees the server's bytes, and
// with pipelining (or a response still in flight) forged bytes could land inside an earlier response.
void Engine::answer_denied_http(const Flow& f, const FlowKey& k) {
  if (!responder_ || f.mode != FlowMode::Http || f.h2 || f.requests != 0 || !f.acked || records_.empty()) return;
  DecisionRecord& r = records_.back();
  if (r.protocol != "http" || r.verdict != FlowVerdict::Deny || !r.reason.empty()) return;
  std::uint32_t end = f.origin;  // the end of every held byte: all of them are acknowledged
  for (const HeldPacket& h : f.held)
    if (!seq_le(h.end, end)) end = h.end;
  if (responder_(ForgedReply{k, f.server_next, end})) {
    ++c_.http_deny_responses;
    r.response = "403";
  } else {
    ++c_.http_deny_response_errors;
  }
}

// Urgent data (URG): the server's TCP takes the byte the urgent pointer names out of the stream (SO_OOBINLINE is
// off by default) while the enforcer would read it in place, so the two would frame the stream differently and a
// request could hide in what the enforcer takes for a body. A segment with URG (data or not: a bare ACK sets the
// server's urgent pointer too) on a flow that is inspected — its first flight, or a keep-alive HTTP or HTTP/2
// connection — denies the flow; true when it did. Decided flows never come here (the late path answers them).
bool Engine::deny_urgent(const QueuedPacket& q, const Packet& p, const FlowKey& k, FlowMap::iterator it,
                         std::uint32_t data_seq, Clock::time_point now, std::vector<VerdictOut>& out) {
  if (it == flows_.end()) {
    const ClientPolicies::Found sel = select(k.src);
    const policy::Decision l4 = sel.policy->matcher.decide_l4(k.dst, k.dport, policy::Proto::Tcp);
    // Not inspected (the policy changed since `init`, or no client's: on_new_flow denies it): the port decides.
    if (!sel.ns || !l4.needs_inspection) return false;
    it = flows_.try_emplace(k, sel.policy, l4, flow_mode_for(l4.inspection), data_seq, limits_.reassembly).first;
    it->second.client_ns = *sel.ns;
    ++c_.flows_started;
  }
  it->second.held.push_back(
      {data_seq, data_seq + static_cast<std::uint32_t>(p.payload.size()), q.queue, q.id, q.mark, now, {}});
  ++c_.packets_held;
  deny_bound(it, c_.urgent_data, "urgent data (TCP URG) on an inspected flow", now, out);
  c_.flows_pending = flows_.size();
  return true;
}

void Engine::deny_bound(FlowMap::iterator it, Count& counter, std::string reason, Clock::time_point now,
                        std::vector<VerdictOut>& out) {
  ++counter;
  ++c_.flows_denied;
  const Flow& f = it->second;
  DecisionRecord r = base_record(f.policy->plan, f.l4, it->first, f.client_ns);
  if (f.mode != FlowMode::Tls && f.requests > 0) r.protocol = f.h2 ? "http2" : "http";
  r.verdict = FlowVerdict::Deny;
  r.reason = std::move(reason);
  records_.push_back(std::move(r));
  emit(records_);
  finish(it, false, now, out);
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

}  // namespace nfegress::enforcer
