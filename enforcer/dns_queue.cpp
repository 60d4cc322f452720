// enforcer/dns_queue.cpp — layer: pure glue. See dns_queue.hpp. UDP: the datagram is one message. TCP: a segment
// that starts on a message boundary is read for the messages it holds whole (resolvers write one answer per
// segment in practice); the rest of a stream is passed on unlearned and counted (resolve-on-miss covers it).
// --strip-ech rewrites UDP answers only (a TCP answer would change the stream's length: it passes as it is).
#include "enforcer/dns_queue.hpp"

#include <netinet/in.h>

#include "enforcer/dns_answer.hpp"
#include "enforcer/packet.hpp"
#include "enforcer/wire.hpp"

namespace nfegress::enforcer {
namespace {

void learn(std::span<const std::uint8_t> msg, NameBindings& bindings, Counters& c, Clock::time_point now,
           std::vector<dns::Answer>* learned) {
  ++c.dns_answers;
  const dns::Parsed parsed = dns::parse_answer(msg);
  if (!parsed.answer) {
    ++c.dns_answers_malformed;
    return;
  }
  if (parsed.answer->addrs.empty()) {  // NXDOMAIN, NODATA, another type: nothing to bind
    ++c.dns_answers_no_address;
    return;
  }
  bindings.learn(*parsed.answer, now);
  ++c.dns_answers_learned;
  if (learned) learned->push_back(*parsed.answer);
}

}  // namespace

void sync_binding_counters(const NameBindings& bindings, Counters& c) {
  c.bindings_names = bindings.names();
  c.bindings_addresses = bindings.addresses_held();
  c.bindings_expired = bindings.counters().expired;
  c.bindings_evicted = bindings.counters().evicted_names;
}

void on_dns_packet(const QueuedPacket& q, NameBindings& bindings, Counters& c, Clock::time_point now,
                   std::vector<VerdictOut>& out, bool strip_ech, std::vector<dns::Answer>* learned) {
  out.push_back({q.queue, q.id, nfq::Verdict::Accept, std::nullopt});
  Packet p;
  if (decode_packet(q.l3, p) != DecodeStatus::Ok || q.truncated) {
    ++c.dns_answers;
    ++c.dns_answers_malformed;
    return;
  }
  if (p.l4proto == IPPROTO_UDP) {
    if (!p.payload.empty()) learn(p.payload, bindings, c, now, learned);
    if (strip_ech && !p.payload.empty()) {
      // Same verdict, new bytes: the answer without its `ech` parameters (a datagram that cannot be rewritten goes
      // out as it came).
      if (auto stripped = dns::strip_ech(p.payload)) {
        auto bytes = udp_with_payload(q.l3, p, *stripped);
        if (!bytes.empty()) {
          out.back().payload = std::move(bytes);
          ++c.dns_ech_stripped;
        }
      }
    }
  } else if (p.l4proto == IPPROTO_TCP && !p.payload.empty()) {
    bool incomplete = false;
    const auto messages = dns::split_tcp_messages(p.payload, incomplete);
    for (const auto& m : messages) learn(m, bindings, c, now, learned);
    if (incomplete) ++c.dns_answers_unlearned;
  }
  sync_binding_counters(bindings, c);
}

}  // namespace nfegress::enforcer
