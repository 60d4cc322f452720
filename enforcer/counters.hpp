// enforcer/counters.hpp — layer: plain data. Every counter of the enforcer, declared once in NFEGRESS_COUNTERS:
// the Counters struct, the Metrics' thread-shared atomics, the Prometheus exposition (metrics.cpp) and `enforce`'s
// exit summary are all generated from that list, so adding a counter is one line. Issue 19 ("every core"): each
// queue worker owns one Counters and is its only writer; a counter is a Count, an atomic written with a relaxed
// load and store (a plain move on x86-64 and arm64, no locked instruction on the packet path) so the admin
// thread can read it while the worker runs; readers sum the workers' structs (operator+=).
// Must not: lock, allocate, know about Prometheus beyond the names in the list.
#pragma once
#include <atomic>
#include <cstdint>

// X(kind, field, family, label, value, help), one line per counter:
//   kind    counter | gauge: a Count in Counters (engine, queue socket, runtime; written by one worker thread);
//           shared: a std::atomic<std::uint64_t> in Metrics (incremented from any thread: reloads, queue drops).
//   field   the member's name, also its name in `enforce`'s exit summary ("counters: field=N ...").
//   family  the Prometheus family it is a sample of ("" = summary only); a family's samples are consecutive.
//   label   the label name within a family ("" = unlabelled), value its value.
//   help    the family's HELP text (the first sample's; "" on the others).
// Families are rendered in list order, after Linkerd's route metrics. Counter families end in _total.
// clang-format off
#define NFEGRESS_COUNTERS(X) \
  /* Decisions (enforcer/engine.cpp). */ \
  X(counter, flows_allowed, "nfegress_flows_decided_total", "verdict", "allow", \
    "Inspected flows decided by the enforcer, by verdict") /* TLS: whole flow; HTTP: its first request */ \
  X(counter, flows_denied, "nfegress_flows_decided_total", "verdict", "deny", "") /* any reason, bounds included */ \
  /* Audit mode (issue 20): denials of audited EgressNetworks let through (each also counts as an allow above). */ \
  X(counter, audit_would_deny, "nfegress_audit_would_deny_total", "", "", \
    "Decisions of audited EgressNetworks (flows, HTTP requests, gRPC calls) let through that enforce mode would deny") \
  /* Why flows were denied without a route decision (each also counts in flows_denied). */ \
  X(counter, bound_bytes, "nfegress_bounds_hit_total", "bound", "bytes", \
    "Flows denied because an inspection bound was hit, by bound") /* beyond the reassembly window (16 KiB) */ \
  X(counter, bound_pending_flows, "nfegress_bounds_hit_total", "bound", "pending_flows", "") \
  X(counter, bound_segments, "nfegress_bounds_hit_total", "bound", "segments", "") \
  X(counter, bound_timeout, "nfegress_bounds_hit_total", "bound", "timeout", "") /* no decision within 5 s */ \
  X(counter, bound_unanchored, "nfegress_bounds_hit_total", "bound", "unanchored", "") /* SYN-ACK anchor: none */ \
  X(counter, http_deny_response_errors, "nfegress_http_deny_responses_total", "result", "failed", \
    "Denied HTTP/1.x requests answered with `403 traffic not allowed`, by result (failed: reset only)") \
  X(counter, http_deny_responses, "nfegress_http_deny_responses_total", "result", "sent", "") \
  X(counter, parse_failures_http, "nfegress_parse_failures_total", "protocol", "http", \
    "Malformed TLS ClientHellos or HTTP requests, by protocol") \
  X(counter, parse_failures_tls, "nfegress_parse_failures_total", "protocol", "tls", "") \
  /* Operations (enforcer/ops.cpp, reload.cpp). */ \
  X(shared, queue_drops, "nfegress_queue_drops_total", "", "", \
    "Packets the kernel dropped because the NFQUEUE was full") \
  X(shared, reload_failures, "nfegress_reload_failures_total", "", "", \
    "Policy reloads that failed (invalid manifests or kernel error); the old policy was kept") \
  X(shared, reloads, "nfegress_reloads_total", "", "", \
    "Policies applied (kernel and matcher), the first one included") \
  /* Name binding (issue 17: binding_check.hpp, the DNS answer queue and resolve-on-miss in runtime.cpp). */ \
  X(counter, binding_bound, "nfegress_name_bindings_total", "result", "bound", \
    "Flows a hostname allowed, checked against the name's resolved addresses (issue 17), by result") \
  X(counter, binding_denied, "nfegress_name_bindings_total", "result", "denied", "") \
  X(counter, resolves_answered, "nfegress_resolves_total", "outcome", "answered", \
    "Names the enforcer resolved itself on a miss, by outcome") \
  X(counter, resolves_failed, "nfegress_resolves_total", "outcome", "failed", "") /* error, no address, timeout */ \
  X(counter, dns_answers, "", "", "", "") /* every DNS answer read from the DNS answer queue (UDP and TCP) */ \
  X(counter, dns_answers_learned, "nfegress_dns_answers_total", "result", "learned", \
    "DNS answers read from the DNS answer queue, by result") /* addresses recorded */ \
  X(counter, dns_answers_malformed, "nfegress_dns_answers_total", "result", "malformed", "") /* passed unlearned */ \
  X(counter, dns_answers_unlearned, "nfegress_dns_answers_total", "result", "unlearned", "") /* TCP msg split */ \
  X(counter, dns_answers_no_address, "nfegress_dns_answers_total", "result", "no_address", "") /* NXDOMAIN... */ \
  X(counter, bindings_evicted, "nfegress_bindings_forgotten_total", "why", "evicted", \
    "Name bindings forgotten, by why") /* the store was full */ \
  X(counter, bindings_expired, "nfegress_bindings_forgotten_total", "why", "expired", "") /* TTL and grace */ \
  X(gauge, bindings_names, "nfegress_bindings_names", "", "", "Names with a learned binding held right now") \
  X(gauge, bindings_addresses, "nfegress_bindings_addresses", "", "", "Addresses bound to names held right now") \
  X(gauge, flows_pending, "nfegress_flows_pending", "", "", "Undecided flows held right now") \
  X(gauge, parked_bytes, "nfegress_parked_bytes", "", "", \
    "Bytes of parked first-flight copies held right now (issue 19, engine_park.cpp)") \
  /* One family each, sorted by name. Queue socket: enforcer/queue_socket.cpp; flows: enforcer/engine.cpp. */ \
  X(counter, ct_mark_errors, "nfegress_ct_mark_errors_total", "", "", \
    "ctnetlink updates of an allowed flow's conntrack mark answered with an error (ENOENT: no entry yet)") \
  X(counter, ct_marks_sent, "nfegress_ct_marks_sent_total", "", "", \
    "ctnetlink updates setting an allowed flow's conntrack mark") \
  X(counter, dns_ech_stripped, "nfegress_dns_ech_stripped_total", "", "", \
    "HTTPS/SVCB answers passed on without their ech parameter (--strip-ech)") \
  X(counter, flows_started, "nfegress_flows_started_total", "", "", "Flows whose first packet was queued") \
  X(counter, matcher_swaps, "nfegress_matcher_swaps_total", "", "", "Policies handed to the runtime by live reload") \
  X(counter, missed_start, "nfegress_missed_start_total", "", "", \
    "Flows denied for data before the first sequence number seen (start of flow missed)") \
  X(counter, overlap_conflicts, "nfegress_overlap_conflicts_total", "", "", \
    "Flows denied for overlapping segments with different bytes") \
  X(counter, packets_empty, "nfegress_packets_empty_total", "", "", \
    "Queued packets without payload (handshake ACK, window update), accepted at once") \
  X(counter, packets_held, "nfegress_packets_held_total", "", "", "Packets held for a decision") \
  X(counter, packets_late, "nfegress_packets_late_total", "", "", \
    "Packets of an already decided flow still in flight in the queue") \
  X(counter, packets_malformed, "nfegress_packets_malformed_total", "", "", \
    "Queued packets whose netlink message or IP/TCP header did not decode (dropped)") \
  X(counter, packets_parked, "nfegress_packets_parked_total", "", "", \
    "Segments of undecided flows parked: copied, dropped in the kernel, the client acknowledged (issue 19)") \
  X(counter, packets_passed, "nfegress_packets_passed_total", "", "", \
    "Packets of allowed HTTP request bytes accepted (the connection stays inspected)") \
  X(counter, packets_received, "nfegress_packets_received_total", "", "", "NFQUEUE packet messages read") \
  X(counter, packets_reinjected, "nfegress_packets_reinjected_total", "", "", \
    "Parked copies sent on after an allow and released when they came back through the queue") \
  X(counter, packets_unanchored, "nfegress_packets_unanchored_total", "", "", \
    "First data segments dropped: not at the stream start the server's SYN-ACK recorded (SYN-ACK anchor)") \
  X(counter, packets_truncated, "nfegress_packets_truncated_total", "", "", \
    "Queued packets whose copy was cut (NFQA_CAP_LEN; the flow is denied)") \
  X(counter, park_bound, "nfegress_park_bound_total", "", "", \
    "Segments held instead of parked: the parked copies reached their bound (32 MiB)") \
  X(counter, parked_acks, "nfegress_parked_acks_total", "", "", \
    "Acknowledgements sent to clients, in the server's name, for parked bytes") \
  X(counter, parked_resends, "nfegress_parked_resends_total", "", "", \
    "Parked copies of an allowed flow sent once more after their release (a lost copy is not resent by the client)") \
  X(counter, receive_errors, "nfegress_receive_errors_total", "", "", "Failed receives on the queue socket") \
  X(counter, reinject_errors, "nfegress_reinject_errors_total", "", "", \
    "Parked copies, ACKs or resets toward the client that the raw socket could not send") \
  X(counter, requests_checked, "nfegress_requests_checked_total", "", "", \
    "HTTP requests decided (every request of a keep-alive connection)") \
  X(counter, requests_denied, "nfegress_requests_denied_total", "", "", \
    "HTTP requests denied (the connection is reset)") \
  X(counter, resolves_requested, "nfegress_resolves_requested_total", "", "", \
    "Held flows whose name had no binding (--name-binding resolve)") \
  X(counter, resolves_sent, "nfegress_resolves_sent_total", "", "", \
    "Names the enforcer resolved itself (several flows may wait for one)") \
  X(counter, tfo_syn_data, "nfegress_tfo_syn_data_total", "", "", "SYNs carrying data (TCP Fast Open) inspected") \
  X(counter, urgent_data, "nfegress_urgent_data_total", "", "", \
    "Flows denied for a segment with URG on an inspected flow") \
  X(counter, verdict_errors, "nfegress_verdict_errors_total", "", "", \
    "Verdicts that could not be sent or were answered with an error") \
  X(counter, verdicts_sent, "nfegress_verdicts_sent_total", "", "", "Verdict messages sent")
// clang-format on

// Per kind: what the struct holds (counter, gauge), what Metrics holds (shared), what the summary prints.
#define NFEGRESS_COUNTER_FIELD_counter(field) Count field;
#define NFEGRESS_COUNTER_FIELD_gauge(field) Count field;
#define NFEGRESS_COUNTER_FIELD_shared(field)
#define NFEGRESS_SHARED_FIELD_counter(field)
#define NFEGRESS_SHARED_FIELD_gauge(field)
#define NFEGRESS_SHARED_FIELD_shared(field) std::atomic<std::uint64_t> field{0};

namespace nfegress::enforcer {

// One counter with a single writer (its worker thread) and any number of readers. The writer's ++ and = are a
// relaxed load and store, not a read-modify-write: exact because nobody else writes, and free of the lock prefix a
// fetch_add would cost on every packet. A reader sees each counter's latest stored value, never a torn one.
class Count {
 public:
  Count() = default;
  Count(std::uint64_t v) : v_(v) {}  // NOLINT: a plain number where a counter is expected (tests, sums)
  Count(const Count& o) : v_(o.get()) {}
  Count& operator=(const Count& o) { return set(o.get()); }
  Count& operator=(std::uint64_t v) { return set(v); }
  operator std::uint64_t() const { return get(); }  // NOLINT: read like the integer it replaces
  std::uint64_t get() const { return v_.load(std::memory_order_relaxed); }
  Count& operator++() { return set(get() + 1); }
  std::uint64_t operator++(int) {
    const std::uint64_t old = get();
    set(old + 1);
    return old;
  }
  Count& operator--() { return set(get() - 1); }
  Count& operator+=(std::uint64_t n) { return set(get() + n); }
  Count& operator-=(std::uint64_t n) { return set(get() - n); }

 private:
  Count& set(std::uint64_t v) {
    v_.store(v, std::memory_order_relaxed);
    return *this;
  }
  std::atomic<std::uint64_t> v_{0};
};

// alignas: the workers' structs never share a cache line (a reader's load does not slow another worker's stores).
struct alignas(64) Counters {
#define NFEGRESS_X(kind, field, ...) NFEGRESS_COUNTER_FIELD_##kind(field)
  NFEGRESS_COUNTERS(NFEGRESS_X)
#undef NFEGRESS_X

  // Sums another worker's counters into this one (gauges too: flows pending over all queues). Runs on the reader's
  // thread, into a struct only it writes.
  Counters& operator+=(const Counters& o) {
#define NFEGRESS_ADD_counter(field) field += o.field.get();
#define NFEGRESS_ADD_gauge(field) field += o.field.get();
#define NFEGRESS_ADD_shared(field)
#define NFEGRESS_X(kind, field, ...) NFEGRESS_ADD_##kind(field)
    NFEGRESS_COUNTERS(NFEGRESS_X)
#undef NFEGRESS_X
#undef NFEGRESS_ADD_counter
#undef NFEGRESS_ADD_gauge
#undef NFEGRESS_ADD_shared
    return *this;
  }
};

// Calls f(name, value) for every member of Counters, in list order (the exit summary).
template <class F>
void for_each_counter(const Counters& c, F&& f) {
#define NFEGRESS_VISIT_counter(field) f(#field, c.field.get());
#define NFEGRESS_VISIT_gauge(field) f(#field, c.field.get());
#define NFEGRESS_VISIT_shared(field)
#define NFEGRESS_X(kind, field, ...) NFEGRESS_VISIT_##kind(field)
  NFEGRESS_COUNTERS(NFEGRESS_X)
#undef NFEGRESS_X
#undef NFEGRESS_VISIT_counter
#undef NFEGRESS_VISIT_gauge
#undef NFEGRESS_VISIT_shared
}

}  // namespace nfegress::enforcer
