// enforcer/dns_queue.hpp — layer: pure glue. Issue 17: a packet of the DNS answer queue (`chain dns_answers` on
// the input hook queues the resolvers' answers, with bypass) is read, its answer learned into the name bindings,
// and it is accepted — always, malformed or not: the queue exists so the binding is in place before the client
// reads the answer, never to judge DNS. The source was checked by the kernel rule (a resolver of --dns-servers,
// not loopback). Must not: touch a socket, read a clock, drop or delay an answer.
#pragma once
#include <vector>

#include "enforcer/counters.hpp"
#include "enforcer/engine.hpp"
#include "enforcer/name_bindings.hpp"

namespace nfegress::enforcer {

// Copies the store's gauges and counters (names, addresses, expired, evicted) into the enforcer's counters.
void sync_binding_counters(const NameBindings& bindings, Counters& c);

// Learns what the packet's DNS message(s) say and appends its NF_ACCEPT verdict to `out`; with `strip_ech` a UDP
// answer carrying HTTPS/SVCB `ech` parameters is accepted without them (the verdict carries the new bytes).
// `learned` (optional) gets a copy of every answer learned, for the queue workers' copies (runtime.hpp).
void on_dns_packet(const QueuedPacket& q, NameBindings& bindings, Counters& c, Clock::time_point now,
                   std::vector<VerdictOut>& out, bool strip_ech = false, std::vector<dns::Answer>* learned = nullptr);

}  // namespace nfegress::enforcer
