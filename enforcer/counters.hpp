// enforcer/counters.hpp — layer: plain data. The enforcer's own counters (metrics read them; the engine and the
// queue socket increment them). Single-threaded: everything runs on the enforcer's io_context thread, so the
// admin server reads them from a handler on that same context. Must not: lock, allocate, know about Prometheus.
#pragma once
#include <cstdint>

namespace nfegress::enforcer {

struct Counters {
  // Queue socket (enforcer/queue_socket.cpp).
  std::uint64_t packets_received = 0;    // NFQUEUE packet messages read
  std::uint64_t packets_malformed = 0;   // netlink message or IP/TCP header we could not decode (verdict: drop)
  std::uint64_t packets_truncated = 0;   // NFQA_CAP_LEN said the copy was cut (flow denied)
  std::uint64_t verdicts_sent = 0;       // verdict messages sent
  std::uint64_t verdict_errors = 0;      // send failures or NLMSG_ERROR answers to verdicts
  std::uint64_t receive_errors = 0;      // recv failures (ENOBUFS is off: NETLINK_NO_ENOBUFS)
  std::uint64_t ct_marks_sent = 0;       // ctnetlink updates setting an allowed flow's conntrack mark
  std::uint64_t ct_mark_errors = 0;      // ... answered with an error (ENOENT: no entry yet, e.g. a TFO SYN's)

  // Flows (enforcer/engine.cpp).
  std::uint64_t flows_started = 0;       // first queued packet of a flow
  std::uint64_t flows_pending = 0;       // gauge: undecided flows held right now
  std::uint64_t flows_allowed = 0;       // decided allow (TLS: whole flow; HTTP: the connection's first request)
  std::uint64_t flows_denied = 0;        // decided deny (any reason, bounds included)
  std::uint64_t requests_checked = 0;    // HTTP requests decided (every request of a keep-alive connection)
  std::uint64_t requests_denied = 0;     // HTTP requests denied (the connection is reset)
  std::uint64_t packets_held = 0;        // packets held for a decision
  std::uint64_t packets_passed = 0;      // NF_ACCEPT of allowed request bytes (HTTP: the flow stays inspected)
  std::uint64_t packets_late = 0;        // packets of an already decided flow still in flight in the queue
  std::uint64_t packets_empty = 0;       // no payload (handshake ACK, window updates): accepted at once
  std::uint64_t tfo_syn_data = 0;        // SYN carrying data (TCP Fast Open) inspected
  std::uint64_t http_deny_responses = 0; // denied HTTP/1.x requests answered with `403 traffic not allowed`
  std::uint64_t http_deny_response_errors = 0;  // ... whose 403 segment could not be sent (the client gets a reset)
  // Issue 19, no stall (engine_park.cpp): segments of undecided flows parked (copied, dropped in the kernel, the
  // client acknowledged), copies sent on after an allow and matched when they came back through the queue.
  std::uint64_t packets_parked = 0;      // segments parked instead of held
  std::uint64_t parked_acks = 0;         // acknowledgements sent to clients for parked bytes
  std::uint64_t packets_reinjected = 0;  // parked copies sent on and released after an allow
  std::uint64_t reinject_errors = 0;     // ... or an ACK/RST toward the client, that could not be sent
  std::uint64_t park_bound = 0;          // segments held (not parked) because the parked bytes reached their bound
  std::uint64_t parked_bytes = 0;        // gauge: bytes of parked copies right now

  // Why flows were denied without a route decision (each also counts in flows_denied).
  std::uint64_t bound_bytes = 0;         // first bytes beyond the reassembly window (16 KiB)
  std::uint64_t bound_segments = 0;      // more held segments than allowed
  std::uint64_t bound_timeout = 0;       // no decision within the timeout (5 s)
  std::uint64_t bound_pending_flows = 0; // too many undecided flows: the new one is denied
  std::uint64_t overlap_conflicts = 0;   // overlapping segments with different bytes
  std::uint64_t missed_start = 0;        // data before the first sequence number seen (start of flow missed)
  std::uint64_t parse_failures_tls = 0;  // malformed ClientHello
  std::uint64_t parse_failures_http = 0; // malformed HTTP request or framing
  std::uint64_t urgent_data = 0;         // a segment with URG on an inspected flow (the server's TCP would take the
                                         // urgent byte out of the stream the enforcer reads)

  // Name binding (issue 17: binding_check.hpp, the DNS answer queue and resolve-on-miss in runtime.cpp).
  std::uint64_t binding_bound = 0;       // hostname allows whose destination is an address the name resolved to
  std::uint64_t binding_denied = 0;      // hostname allows turned into denials: not the name's address (or unknown)
  std::uint64_t resolves_requested = 0;  // held flows whose name had no binding (resolve mode)
  std::uint64_t resolves_sent = 0;       // names the enforcer resolved itself (several flows may wait for one)
  std::uint64_t resolves_answered = 0;   // ... answered with at least one address
  std::uint64_t resolves_failed = 0;     // ... with no address, an error or no answer within the bound
  std::uint64_t dns_answers = 0;         // DNS answers read from the DNS answer queue (UDP and TCP)
  std::uint64_t dns_answers_learned = 0; // ... with addresses recorded
  std::uint64_t dns_answers_malformed = 0;  // ... that did not parse (passed on unlearned)
  std::uint64_t dns_answers_unlearned = 0;  // ... passed on unlearned otherwise (a TCP message split over segments)
  std::uint64_t dns_ech_stripped = 0;    // HTTPS/SVCB answers passed on without their ech parameter (--strip-ech)
  std::uint64_t bindings_names = 0;      // gauge: names held
  std::uint64_t bindings_addresses = 0;  // gauge: addresses held
  std::uint64_t bindings_expired = 0;    // names forgotten after their TTL (and grace)
  std::uint64_t bindings_evicted = 0;    // names dropped because the store was full

  // Live reload (hook for enforcer/reload*).
  std::uint64_t matcher_swaps = 0;
};

}  // namespace nfegress::enforcer
