// enforcer/engine_decided.cpp — layer: pure decision state machine (part of Engine, engine.hpp). How a flow's
// decision is carried out and remembered: its held packets released in sequence order (finish), an HTTP flow's
// passed packets (release_passed), the packets of decided flows that were still queued (on_late,
// anchored_elsewhere), and the timeouts of undecided, decided and unanchored flows (expire).
// Must not: touch a socket, read a clock, throw on packet content.
#include <algorithm>

#include "enforcer/engine.hpp"
#include "enforcer/engine_marks.hpp"

namespace nfegress::enforcer {

using namespace engine_marks;

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
