// enforcer/engine_park.cpp — layer: pure decision state machine (part of Engine, engine.hpp). Issue 19, "no
// stall": a queued segment still counts in its socket's sk_wmem_alloc, so while the enforcer holds one, TCP
// autocork and TCP small queues keep the client's next small writes back (and Nagle, the congestion window and
// tcp_retransmit_skb's "still in a host queue" check do the rest) until a timer fires. So a data segment of an
// undecided flow is *parked*: its bytes stay here (HeldPacket::wire, the bytes read and inspected), the kernel's
// packet is dropped, and the client is acknowledged in the server's name up to the flow's contiguous bytes, so
// its TCP sends the rest at once and never retransmits what is parked. After an allow the copies are sent on
// through the PacketSender (the runtime's raw socket): they take the output path again, meet no ct mark yet, are
// queued, and come back here as *carriers*, matched by sequence numbers and bytes; every carrier, and the held
// packets behind them, then gets NF_ACCEPT with the parked bytes (NFQA_PAYLOAD) in sequence order, and only then is
// the ct mark set. Nothing leaves that was not inspected, and nothing written around the release passes the kernel
// ahead of it. After a deny nothing parked is ever sent.
// Must not: touch a socket (the sender is given), read a clock, throw on packet content.
#include "enforcer/engine.hpp"

#include <algorithm>
#include <cstring>

#include "enforcer/inspect.hpp"
#include "enforcer/wire.hpp"

namespace nfegress::enforcer {
namespace {

// Parked copies of adjacent segments are joined up to this size (IPv6's minimum MTU: a path below it does not
// exist for TCP built for it), so a first flight written a byte at a time is a few packets, not hundreds.
constexpr std::size_t kJoinMax = 1280;
// The window of the enforcer's acknowledgements (scaled by the server's window scale, which the enforcer does
// not see): enough for the client to go on writing its first flight; the server's own segments set it afterwards.
constexpr std::uint16_t kAckWindow = 8192;
// Packets of a releasing flow kept queued until the release is done (on_carrier).
constexpr std::size_t kMaxDeferred = 64;

std::span<const std::uint8_t> payload_of(const std::vector<std::uint8_t>& wire) {
  Packet p;
  if (decode_packet(wire, p) != DecodeStatus::Ok) return {};
  return p.payload;
}

}  // namespace

// Called after on_data for a data segment that is still held in an undecided flow.
void Engine::park(const FlowKey& k, const QueuedPacket& q, const Packet& p, std::vector<VerdictOut>& out) {
  if (!sender_ || !(k.src.family == policy::Family::V4 ? park4_ : park6_) || p.payload.empty() || p.has(tcp_flag::Syn) || p.has(tcp_flag::Fin) ||
      p.has(tcp_flag::Rst) || p.has(tcp_flag::Urg))
    return;
  auto it = flows_.find(k);
  if (it == flows_.end()) return;
  Flow& f = it->second;
  if (f.releasing != Release::None || !f.acked) return;
  auto h = std::find_if(f.held.begin(), f.held.end(),
                        [&q](const HeldPacket& x) { return !x.parked && x.queue == q.queue && x.id == q.id; });
  if (h != f.held.end() && park_entry(f, static_cast<std::size_t>(h - f.held.begin()), q.gso, out)) ack_client(f, k);
}

// After a release that waited for copies: the held segments it left (one that also starts the next request) are
// parked now, so they do not hold the client's next writes back either.
void Engine::park_rest(const FlowKey& k, std::vector<VerdictOut>& out) {
  auto it = flows_.find(k);
  if (it == flows_.end() || it->second.releasing != Release::None || !it->second.acked) return;
  Flow& f = it->second;
  bool any = false;
  for (std::size_t i = f.held.size(); i-- > 0;) {
    Packet p;
    const HeldPacket& h = f.held[i];
    if (h.parked || h.wire.empty() || decode_packet(h.wire, p) != DecodeStatus::Ok || p.payload.empty() ||
        (p.flags & (tcp_flag::Syn | tcp_flag::Fin | tcp_flag::Rst | tcp_flag::Urg)))
      continue;
    any = park_entry(f, i, h.wire.size() > kJoinMax, out) || any;
  }
  if (any) ack_client(f, k);
}

// Parks f.held[i] (a queued data segment with its wire copy): NF_DROP for its packet; the copy is kept, cut into
// segments of at most kJoinMax bytes when `split` (a GSO packet: larger than the path MTU until the kernel
// segments it, and a raw socket would refuse it), or joined to the parked copy it continues (the client's next
// write). False (still held) at the bound on parked bytes or when it cannot be cut.
bool Engine::park_entry(Flow& f, std::size_t i, bool split, std::vector<VerdictOut>& out) {
  auto h = f.held.begin() + static_cast<std::ptrdiff_t>(i);
  if (h->wire.empty()) return false;
  if (parked_bytes_ + h->wire.size() > limits_.max_parked_bytes) {
    ++c_.park_bound;
    return false;
  }
  std::vector<std::vector<std::uint8_t>> pieces;
  if (split) {
    pieces = split_segment(h->wire, kJoinMax);
    if (pieces.empty()) return false;
  }
  out.push_back({h->queue, h->id, nfq::Verdict::Drop, std::nullopt});
  ++c_.packets_parked;
  if (!pieces.empty()) {
    HeldPacket base = std::move(*h);
    base.wire = {};
    f.held.erase(h);
    std::uint32_t seq = base.seq;
    for (auto& w : pieces) {
      HeldPacket piece = base;
      piece.seq = seq;
      piece.end = seq + static_cast<std::uint32_t>(payload_of(w).size());
      seq = piece.end;
      piece.wire = std::move(w);
      piece.parked = true;
      parked_bytes_ += piece.wire.size();
      f.held.push_back(std::move(piece));
    }
    c_.parked_bytes = parked_bytes_;
    return true;
  }
  auto prev = std::find_if(f.held.begin(), f.held.end(), [&h](const HeldPacket& x) {
    return x.parked && !x.injected && x.end == h->seq && &x != &*h;
  });
  const std::size_t before = prev != f.held.end() ? prev->wire.size() : 0;
  if (prev != f.held.end() && append_segment(prev->wire, h->wire, kJoinMax)) {
    parked_bytes_ += prev->wire.size() - before;
    prev->end = h->end;
    prev->arrived = std::min(prev->arrived, h->arrived);
    f.held.erase(h);
  } else {
    h->parked = true;
    parked_bytes_ += h->wire.size();
  }
  c_.parked_bytes = parked_bytes_;
  return true;
}

// A pure ACK in the server's name for every byte the flow holds from its start, when that is more than acked.
void Engine::ack_client(Flow& f, const FlowKey& k) {
  const std::uint32_t to = f.buf.contiguous_end_seq();
  if (f.client_acked && seq_le(to, f.acked_to)) return;
  const auto bytes = build_forged_segment(ForgedReply{k, f.server_next, to, kAckWindow}, tcp_flag::Ack, {});
  if (!sender_(bytes)) {
    ++c_.reinject_errors;
    return;
  }
  ++c_.parked_acks;
  f.client_acked = true;
  f.acked_to = to;
}

// Sends on the parked copies among the held packets to release (those ending at or before `upto`, or all for a
// flow), once each; true when any is still out, so the release waits for them to come back.
bool Engine::start_release(Flow& f, Release kind, std::uint32_t upto) {
  bool waiting = false;
  for (HeldPacket& h : f.held) {
    if (!h.parked || (kind == Release::Passed && !seq_le(h.end, upto))) continue;
    waiting = true;
    if (h.injected) continue;
    h.injected = true;
    if (!sender_(h.wire)) ++c_.reinject_errors;  // never comes back: the flow's timeout denies it
  }
  f.releasing = waiting ? kind : Release::None;
  return waiting;
}

// A data segment (or FIN) of a flow that waits for its copies: the copy it carries takes the verdict in its place
// (the parked bytes go out in it); anything else waits until the release is done.
void Engine::on_carrier(FlowMap::iterator it, const QueuedPacket& q, const Packet& p, std::uint32_t data_seq,
                        Clock::time_point now, std::vector<VerdictOut>& out) {
  Flow& f = it->second;
  const std::uint32_t end = data_seq + static_cast<std::uint32_t>(p.payload.size());
  auto h = std::find_if(f.held.begin(), f.held.end(), [&](const HeldPacket& x) {
    if (p.payload.empty() || !x.injected || !x.parked || x.seq != data_seq || x.end != end) return false;
    const auto mine = payload_of(x.wire);
    return mine.size() == p.payload.size() && std::memcmp(mine.data(), p.payload.data(), mine.size()) == 0;
  });
  if (h == f.held.end()) {
    // The client's next bytes (an HTTP body, the next HTTP/2 frames) arriving in the one round trip the copies
    // take: kept queued and read once the release is done (dropped, the client would resend them only after its
    // retransmission timeout). Bounded; beyond the bound, dropped as late.
    if (f.deferred.size() < kMaxDeferred) {
      f.deferred.push_back({q.queue, q.id, q.mark, q.gso, std::vector<std::uint8_t>(q.l3.begin(), q.l3.end())});
      return;
    }
    ++c_.packets_late;
    out.push_back({q.queue, q.id, nfq::Verdict::Drop, std::nullopt});
    return;
  }
  h->parked = false;
  h->queue = q.queue;
  h->id = q.id;
  h->mark = q.mark;
  parked_bytes_ -= h->wire.size();
  c_.parked_bytes = parked_bytes_;
  ++c_.packets_reinjected;
  const Release kind = f.releasing;
  const std::uint32_t upto = f.buf.start_seq();
  if (std::any_of(f.held.begin(), f.held.end(), [&](const HeldPacket& x) {
        return x.parked && (kind == Release::Flow || seq_le(x.end, upto));
      }))
    return;
  f.releasing = Release::None;
  auto deferred = std::move(f.deferred);
  f.deferred.clear();
  const FlowKey key = it->first;
  if (kind == Release::Flow) {
    finish(it, true, now, out);
  } else {
    act(it, Outcome::Progress, now, out);
    park_rest(key, out);
  }
  for (const DeferredPacket& d : deferred)  // in arrival order, as if they came now (`it` may be gone)
    on_packet(QueuedPacket{d.queue, d.id, d.mark, false, d.l3, d.gso}, now, out);
}

void Engine::drop_deferred(Flow& f, std::vector<VerdictOut>& out) {
  for (const DeferredPacket& d : f.deferred) out.push_back({d.queue, d.id, nfq::Verdict::Drop, std::nullopt});
  f.deferred.clear();
}

// A denied flow none of whose packets is still queued (all parked): nothing carries the DENY mark, so the
// conntrack mark DENY is set directly (any later packet of the flow is reset by the kernel) and the client, which
// was acknowledged and now waits for the server, gets a reset in the server's name.
void Engine::deny_parked(const Flow& f, const FlowKey& k, std::vector<VerdictOut>& out) {
  const auto& ko = f.policy->plan.kernel;
  VerdictOut v;
  v.ct_only = true;
  v.ct = CtMarkSet{k, ko.mark_mask(), ko.mark_deny()};
  out.push_back(std::move(v));
  if (!sender_) return;
  const auto bytes = build_forged_segment(ForgedReply{k, f.server_next, f.acked_to, 0},
                                          tcp_flag::Rst | tcp_flag::Ack, {});
  if (!sender_(bytes)) ++c_.reinject_errors;
}

// The parked copies of a flow allowed as a whole go out once more after `resend_after`: the client's TCP freed
// them (they were acknowledged), so a copy lost between the pod and the server would otherwise leave the server
// waiting for bytes nobody sends again. By then the flow's ct mark ALLOW lets them through in the kernel (a
// duplicate costs the server a D-SACK); if the connection is gone they meet its ct mark or the late path.
// Bounded by max_parked_bytes too; an HTTP connection (no ct mark, maybe closed by then) gets no second copy.
void Engine::schedule_resend(const std::vector<std::uint8_t>& wire, Clock::time_point now) {
  if (!sender_ || parked_bytes_ + resend_bytes_ + wire.size() > limits_.max_parked_bytes) return;
  resend_.emplace_back(now + limits_.resend_after, wire);
  resend_bytes_ += wire.size();
}

void Engine::send_due(Clock::time_point now) {
  while (!resend_.empty() && resend_.front().first <= now) {
    ++(sender_(resend_.front().second) ? c_.parked_resends : c_.reinject_errors);
    resend_bytes_ -= resend_.front().second.size();
    resend_.pop_front();
  }
}

void Engine::forget_parked(const Flow& f) {
  for (const HeldPacket& h : f.held)
    if (h.parked) parked_bytes_ -= h.wire.size();
  c_.parked_bytes = parked_bytes_;
}

}  // namespace nfegress::enforcer
