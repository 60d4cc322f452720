// enforcer/metrics.hpp — layer: operations (pure rendering). The enforcer's counters and their Prometheus text
// exposition (format 0.0.4): Linkerd's route metrics with the names and labels of docs/operations.md ("Metrics"), so
// existing dashboards work, plus nfegress's own counters. Increments are atomics (a lock is only taken to find
// or add a label set); render() is deterministic (families in a fixed order, series sorted by labels).
// Must not: do I/O, read a clock, make policy decisions (callers say which route decided).
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "enforcer/counters.hpp"
#include "enforcer/decision.hpp"
#include "netfilter/writer.hpp"
#include "policy/match.hpp"
#include "policy/plan.hpp"

namespace nfegress::enforcer {

struct MetricsOptions {
  bool hostname_label = false;  // off by default (cardinality): the label is present with an empty value
};

// The Linkerd labels of one route decision. parent_group/parent_kind are always policy.linkerd.io/EgressNetwork.
struct RouteLabels {
  std::string parent_namespace;
  std::string parent_name;
  std::uint16_t parent_port = 0;
  std::string route_group;  // "" for default routes
  std::string route_kind;   // "HTTPRoute", ..., or "default"
  std::string route_namespace;
  std::string route_name;   // default routes: {http,grpc,tls,tcp}-egress-{allow,deny}
  std::string hostname;     // rendered only with MetricsOptions::hostname_label
};

// Labels for a matcher decision on destination port `port` (SNI or Host in `hostname`). A decision without a
// network (untouched) gets empty parent labels.
RouteLabels route_labels(const policy::Plan& plan, const policy::Decision& d, std::uint16_t port,
                         std::string_view hostname);

// One extra sample from another component (e.g. the runtime's counters struct), rendered as a counter family.
struct Sample {
  std::string name;  // full metric name, e.g. "nfegress_nfq_packets_total"
  std::string help;
  std::uint64_t value = 0;
};

class Metrics {
 public:
  explicit Metrics(MetricsOptions options = {});
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Linkerd route metrics. `error` is "" for success, "forbidden" for a policy denial, or another short reason.
  void http_status(const RouteLabels& l, unsigned http_status, std::string_view error);
  void grpc_status(const RouteLabels& l, unsigned grpc_status, std::string_view error);
  void tls_open(const RouteLabels& l);
  void tls_close(const RouteLabels& l, std::string_view error);
  void tcp_open(const RouteLabels& l);
  void tcp_close(const RouteLabels& l, std::string_view error);

  // One engine decision as Linkerd's route metrics. TLS: open, and close{error="forbidden"} when denied (allowed
  // flows leave through the kernel's fast path, their close is not seen). HTTP: one request status,
  // http_status="403" error="forbidden" when denied, http_status="" when allowed (the enforcer never sees the
  // response). Anything else: the TCP metrics, the same way as TLS. `plan` (may be null) names the route group.
  // An audited network's would-deny (r.audit) is counted like the denial with error="audit" (HTTP: http_status="";
  // gRPC: grpc_status="0"; TLS/TCP: open and close{error="audit"}, though the connection goes on).
  void count_decision(const DecisionRecord& r, const policy::Plan* plan);

  // Counters of the operations side (may be incremented from any thread).
  // The `shared` entries of NFEGRESS_COUNTERS (counters.hpp): queue_drops, reloads, reload_failures.
#define NFEGRESS_X(kind, field, ...) NFEGRESS_SHARED_FIELD_##kind(field)
  NFEGRESS_COUNTERS(NFEGRESS_X)
#undef NFEGRESS_X

  // The runtime's counters (flows, bounds, parse failures, packets), read at render time: `read` returns the sum
  // of the queue workers' counters (Runtime::counters(); each is a single-writer atomic, counters.hpp), so render()
  // may run on any thread. Unset renders zeros. attach(pointer): one struct (tests; null renders zeros).
  void attach_reader(std::function<Counters()> read) { read_runtime_ = std::move(read); }
  void attach(const Counters* runtime) {
    read_runtime_ = runtime ? std::function<Counters()>([runtime] { return *runtime; }) : nullptr;
  }

  // The would-denies the kernel counted for audited EgressNetworks (netfilter::Writer::read_audit), read at render
  // time: nfegress_audit_kernel_flows_total{parent_namespace,parent_name,protocol,port}. Unset: the family is
  // rendered without samples. Register before serving.
  void set_audit_reader(std::function<std::vector<netfilter::AuditCount>()> read) { audit_reader_ = std::move(read); }

  // Adds samples at render time (e.g. the runtime's own counters). Register before serving.
  void add_collector(std::function<void(std::vector<Sample>&)> collect);

  // The full exposition, text format 0.0.4.
  std::string render() const;

  const MetricsOptions& options() const { return options_; }

 private:
  struct Family {
    Family(const char* n, const char* h) : name(n), help(h) {}
    const char* name;
    const char* help;
    mutable std::shared_mutex mu;
    std::map<std::string, std::unique_ptr<std::atomic<std::uint64_t>>> series;  // key: rendered label set
  };
  using Slot = std::atomic<std::uint64_t>;
  struct Slots {  // the series one decision increments (second: the close or none)
    Slot* first = nullptr;
    Slot* second = nullptr;
  };
  Slot* slot(Family& f, std::string key);  // found or made; stable for the Metrics' life
  void inc(Family& f, std::string key);
  Slots decision_slots(const DecisionRecord& r, const policy::Plan* plan);
  Slots cached_slots(const DecisionRecord& r);
  std::string labels(const RouteLabels& l) const;
  std::string error_key(const RouteLabels& l, std::string_view label, std::string_view value,
                        std::string_view error) const;
  static void render_family(const Family& f, std::string& out);
  void render_own(std::string& out) const;
  void render_audit(std::string& out) const;

  MetricsOptions options_;
  std::uint64_t id_;  // unique per Metrics ever made: tells a thread's slot cache whose slots it holds
  Family http_statuses_{"outbound_http_route_request_statuses_total", "Completed HTTP requests by route and status"};
  Family grpc_statuses_{"outbound_grpc_route_request_statuses_total", "Completed gRPC requests by route and status"};
  Family tls_open_{"outbound_tls_route_open_total", "TLS connections opened, by route"};
  Family tls_close_{"outbound_tls_route_close_total", "TLS connections closed, by route and error"};
  Family tcp_open_{"outbound_tcp_route_open_total", "TCP connections opened, by route"};
  Family tcp_close_{"outbound_tcp_route_close_total", "TCP connections closed, by route and error"};
  std::vector<std::function<void(std::vector<Sample>&)>> collectors_;
  std::function<Counters()> read_runtime_;
  std::function<std::vector<netfilter::AuditCount>()> audit_reader_;
};

// Prometheus label value escaping: backslash, double quote and newline.
std::string escape_label_value(std::string_view v);

}  // namespace nfegress::enforcer
