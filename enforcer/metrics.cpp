// enforcer/metrics.cpp — layer: operations (pure rendering). See metrics.hpp.
#include "enforcer/metrics.hpp"

#include <algorithm>
#include <initializer_list>
#include <mutex>
#include <utility>

namespace nfegress::enforcer {

namespace {

void append_label(std::string& out, std::string_view name, std::string_view value) {
  if (!out.empty()) out += ',';
  out += name;
  out += "=\"";
  out += escape_label_value(value);
  out += '"';
}

void append_counter_header(std::string& out, std::string_view name, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += " counter\n";
}

void append_sample(std::string& out, std::string_view name, std::string_view labels, std::uint64_t v) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  out += std::to_string(v);
  out += '\n';
}

std::string route_group_of(const policy::Plan& plan, const policy::RouteRef& ref) {
  if (ref.is_default) return "";
  for (const auto& r : plan.routes)
    if (ref.kind == policy::route_kind_name(r.kind) && r.meta.ns == ref.ns && r.meta.name == ref.name)
      return r.api_group;
  return "";
}

}  // namespace

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

RouteLabels route_labels(const policy::Plan& plan, const policy::Decision& d, std::uint16_t port,
                         std::string_view hostname) {
  RouteLabels l;
  if (d.network && *d.network < plan.networks.size()) {
    l.parent_namespace = plan.networks[*d.network].ns;
    l.parent_name = plan.networks[*d.network].name;
  }
  l.parent_port = port;
  if (const auto route = policy::route_of(plan, d)) {
    l.route_group = route_group_of(plan, *route);
    l.route_kind = route->kind;
    l.route_namespace = route->ns;
    l.route_name = route->name;
  }
  l.hostname = hostname;
  return l;
}

Metrics::Metrics(MetricsOptions options) : options_(options) {}

std::string Metrics::labels(const RouteLabels& l) const {
  std::string out;
  append_label(out, "parent_group", "policy.linkerd.io");
  append_label(out, "parent_kind", "EgressNetwork");
  append_label(out, "parent_namespace", l.parent_namespace);
  append_label(out, "parent_name", l.parent_name);
  append_label(out, "parent_port", l.parent_port ? std::to_string(l.parent_port) : std::string());
  append_label(out, "route_group", l.route_group);
  append_label(out, "route_kind", l.route_kind);
  append_label(out, "route_namespace", l.route_namespace);
  append_label(out, "route_name", l.route_name);
  append_label(out, "hostname", options_.hostname_label ? std::string_view(l.hostname) : std::string_view());
  return out;
}

void Metrics::inc(Family& f, std::string key) {
  {
    std::shared_lock lock(f.mu);
    auto it = f.series.find(key);
    if (it != f.series.end()) {
      it->second->fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  std::unique_lock lock(f.mu);
  auto& slot = f.series[std::move(key)];
  if (!slot) slot = std::make_unique<std::atomic<std::uint64_t>>(0);
  slot->fetch_add(1, std::memory_order_relaxed);
}

void Metrics::http_status(const RouteLabels& l, unsigned status, std::string_view error) {
  std::string key = labels(l);
  append_label(key, "http_status", status ? std::to_string(status) : std::string());
  append_label(key, "error", error);
  inc(http_statuses_, std::move(key));
}

void Metrics::grpc_status(const RouteLabels& l, unsigned status, std::string_view error) {
  std::string key = labels(l);
  append_label(key, "grpc_status", std::to_string(status));
  append_label(key, "error", error);
  inc(grpc_statuses_, std::move(key));
}

void Metrics::tls_open(const RouteLabels& l) { inc(tls_open_, labels(l)); }
void Metrics::tcp_open(const RouteLabels& l) { inc(tcp_open_, labels(l)); }

void Metrics::tls_close(const RouteLabels& l, std::string_view error) {
  std::string key = labels(l);
  append_label(key, "error", error);
  inc(tls_close_, std::move(key));
}

void Metrics::tcp_close(const RouteLabels& l, std::string_view error) {
  std::string key = labels(l);
  append_label(key, "error", error);
  inc(tcp_close_, std::move(key));
}

void Metrics::count_decision(const DecisionRecord& r, const policy::Plan* plan) {
  RouteLabels l;
  const auto slash = r.network.find('/');
  if (slash != std::string::npos) {
    l.parent_namespace = r.network.substr(0, slash);
    l.parent_name = r.network.substr(slash + 1);
  }
  l.parent_port = r.dport;
  if (r.route) {
    l.route_group = plan ? route_group_of(*plan, *r.route) : std::string();
    l.route_kind = r.route->kind;
    l.route_namespace = r.route->ns;
    l.route_name = r.route->name;
  }
  l.hostname = r.host;
  const bool denied = r.verdict == FlowVerdict::Deny;
  if (r.protocol == "http" || r.protocol == "http2") {
    http_status(l, denied ? 403 : 0, denied ? "forbidden" : "");
  } else if (r.protocol == "grpc") {
    grpc_status(l, denied ? 7 : 0, denied ? "forbidden" : "");  // 7 = PERMISSION_DENIED, as upstream reports it
  } else if (r.protocol == "tls") {
    tls_open(l);
    if (denied) tls_close(l, "forbidden");
  } else {
    tcp_open(l);
    if (denied) tcp_close(l, "forbidden");
  }
}

void Metrics::add_collector(std::function<void(std::vector<Sample>&)> collect) {
  collectors_.push_back(std::move(collect));
}

void Metrics::render_family(const Family& f, std::string& out) {
  append_counter_header(out, f.name, f.help);
  std::shared_lock lock(f.mu);
  for (const auto& [key, value] : f.series) append_sample(out, f.name, key, value->load(std::memory_order_relaxed));
}

void Metrics::render_own(std::string& out) const {
  static const Counters zero;
  const Counters& c = runtime_ ? *runtime_ : zero;
  const auto family = [&out](const char* name, const char* help, const char* label,
                             std::initializer_list<std::pair<const char*, std::uint64_t>> values) {
    append_counter_header(out, name, help);
    for (const auto& [v, n] : values) {
      std::string l;
      if (*label) append_label(l, label, v);
      append_sample(out, name, l, n);
    }
  };
  family("nfegress_flows_decided_total", "Inspected flows decided by the enforcer, by verdict", "verdict",
         {{"allow", c.flows_allowed}, {"deny", c.flows_denied}});
  family("nfegress_bounds_hit_total", "Flows denied because an inspection bound was hit, by bound", "bound",
         {{"bytes", c.bound_bytes}, {"pending_flows", c.bound_pending_flows}, {"segments", c.bound_segments},
          {"timeout", c.bound_timeout}});
  family("nfegress_http_deny_responses_total",
         "Denied HTTP/1.x requests answered with `403 traffic not allowed`, by result (failed: reset only)", "result",
         {{"failed", c.http_deny_response_errors}, {"sent", c.http_deny_responses}});
  family("nfegress_parse_failures_total", "Malformed TLS ClientHellos or HTTP requests, by protocol", "protocol",
         {{"http", c.parse_failures_http}, {"tls", c.parse_failures_tls}});
  family("nfegress_queue_drops_total", "Packets the kernel dropped because the NFQUEUE was full", "",
         {{"", queue_drops.load()}});
  family("nfegress_reload_failures_total",
         "Policy reloads that failed (invalid manifests or kernel error); the old policy was kept", "",
         {{"", reload_failures.load()}});
  family("nfegress_reloads_total", "Policies applied (kernel and matcher), the first one included", "",
         {{"", reloads.load()}});
  family("nfegress_name_bindings_total",
         "Flows a hostname allowed, checked against the name's resolved addresses (issue 17), by result", "result",
         {{"bound", c.binding_bound}, {"denied", c.binding_denied}});
  family("nfegress_resolves_total", "Names the enforcer resolved itself on a miss, by outcome", "outcome",
         {{"answered", c.resolves_answered}, {"failed", c.resolves_failed}});
  family("nfegress_dns_answers_total", "DNS answers read from the DNS answer queue, by result", "result",
         {{"learned", c.dns_answers_learned}, {"malformed", c.dns_answers_malformed},
          {"unlearned", c.dns_answers_unlearned},
          {"no_address", c.dns_answers - c.dns_answers_learned - c.dns_answers_malformed}});
  family("nfegress_bindings_forgotten_total", "Name bindings forgotten, by why", "why",
         {{"evicted", c.bindings_evicted}, {"expired", c.bindings_expired}});
  out += "# HELP nfegress_bindings_names Names with a learned binding held right now\n"
         "# TYPE nfegress_bindings_names gauge\n";
  append_sample(out, "nfegress_bindings_names", "", c.bindings_names);
  out += "# HELP nfegress_bindings_addresses Addresses bound to names held right now\n"
         "# TYPE nfegress_bindings_addresses gauge\n";
  append_sample(out, "nfegress_bindings_addresses", "", c.bindings_addresses);
  out += "# HELP nfegress_parked_bytes Bytes of parked first-flight copies held right now\n"
         "# TYPE nfegress_parked_bytes gauge\n";
  append_sample(out, "nfegress_parked_bytes", "", c.parked_bytes);
  out += "# HELP nfegress_flows_pending Undecided flows held right now\n# TYPE nfegress_flows_pending gauge\n";
  append_sample(out, "nfegress_flows_pending", "", c.flows_pending);
  // The runtime's other counters, one family each, sorted by name.
  const std::pair<const char*, std::uint64_t> rest[] = {
      {"nfegress_ct_mark_errors_total", c.ct_mark_errors},
      {"nfegress_ct_marks_sent_total", c.ct_marks_sent},
      {"nfegress_dns_ech_stripped_total", c.dns_ech_stripped},
      {"nfegress_flows_started_total", c.flows_started},
      {"nfegress_matcher_swaps_total", c.matcher_swaps},
      {"nfegress_missed_start_total", c.missed_start},
      {"nfegress_overlap_conflicts_total", c.overlap_conflicts},
      {"nfegress_packets_empty_total", c.packets_empty},
      {"nfegress_packets_held_total", c.packets_held},
      {"nfegress_packets_late_total", c.packets_late},
      {"nfegress_packets_malformed_total", c.packets_malformed},
      {"nfegress_packets_parked_total", c.packets_parked},
      {"nfegress_packets_passed_total", c.packets_passed},
      {"nfegress_packets_received_total", c.packets_received},
      {"nfegress_packets_reinjected_total", c.packets_reinjected},
      {"nfegress_packets_truncated_total", c.packets_truncated},
      {"nfegress_park_bound_total", c.park_bound},
      {"nfegress_parked_acks_total", c.parked_acks},
      {"nfegress_receive_errors_total", c.receive_errors},
      {"nfegress_reinject_errors_total", c.reinject_errors},
      {"nfegress_requests_checked_total", c.requests_checked},
      {"nfegress_requests_denied_total", c.requests_denied},
      {"nfegress_resolves_requested_total", c.resolves_requested},
      {"nfegress_resolves_sent_total", c.resolves_sent},
      {"nfegress_tfo_syn_data_total", c.tfo_syn_data},
      {"nfegress_urgent_data_total", c.urgent_data},
      {"nfegress_verdict_errors_total", c.verdict_errors},
      {"nfegress_verdicts_sent_total", c.verdicts_sent},
  };
  for (const auto& [name, v] : rest) {
    out += "# TYPE ";
    out += name;
    out += " counter\n";
    append_sample(out, name, "", v);
  }
}

std::string Metrics::render() const {
  std::string out;
  for (const Family* f : {&http_statuses_, &grpc_statuses_, &tls_open_, &tls_close_, &tcp_open_, &tcp_close_})
    render_family(*f, out);

  render_own(out);

  std::vector<Sample> extra;
  for (const auto& c : collectors_) c(extra);
  std::stable_sort(extra.begin(), extra.end(), [](const Sample& a, const Sample& b) { return a.name < b.name; });
  for (const auto& s : extra) {
    append_counter_header(out, s.name, s.help);
    append_sample(out, s.name, "", s.value);
  }
  return out;
}

}  // namespace nfegress::enforcer
