// enforcer/metrics.cpp — layer: operations (pure rendering). See metrics.hpp.
#include "enforcer/metrics.hpp"

#include <unordered_map>

#include <algorithm>
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

void append_header(std::string& out, std::string_view name, std::string_view help, std::string_view type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void append_counter_header(std::string& out, std::string_view name, std::string_view help) {
  append_header(out, name, help, "counter");
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

namespace {
std::atomic<std::uint64_t> next_metrics_id{1};
}  // namespace

Metrics::Metrics(MetricsOptions options) : options_(options), id_(next_metrics_id.fetch_add(1)) {}

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

Metrics::Slot* Metrics::slot(Family& f, std::string key) {
  {
    std::shared_lock lock(f.mu);
    auto it = f.series.find(key);
    if (it != f.series.end()) return it->second.get();
  }
  std::unique_lock lock(f.mu);
  auto& s = f.series[std::move(key)];
  if (!s) s = std::make_unique<Slot>(0);
  return s.get();
}

void Metrics::inc(Family& f, std::string key) { slot(f, std::move(key))->fetch_add(1, std::memory_order_relaxed); }

// A status or close series' key: the route labels, `label`="value" when a label is given, then error.
std::string Metrics::error_key(const RouteLabels& l, std::string_view label, std::string_view value,
                               std::string_view error) const {
  std::string key = labels(l);
  if (!label.empty()) append_label(key, label, value);
  append_label(key, "error", error);
  return key;
}

void Metrics::http_status(const RouteLabels& l, unsigned status, std::string_view error) {
  inc(http_statuses_, error_key(l, "http_status", status ? std::to_string(status) : std::string(), error));
}

void Metrics::grpc_status(const RouteLabels& l, unsigned status, std::string_view error) {
  inc(grpc_statuses_, error_key(l, "grpc_status", std::to_string(status), error));
}

void Metrics::tls_open(const RouteLabels& l) { inc(tls_open_, labels(l)); }
void Metrics::tcp_open(const RouteLabels& l) { inc(tcp_open_, labels(l)); }
void Metrics::tls_close(const RouteLabels& l, std::string_view error) { inc(tls_close_, error_key(l, "", "", error)); }
void Metrics::tcp_close(const RouteLabels& l, std::string_view error) { inc(tcp_close_, error_key(l, "", "", error)); }

Metrics::Slots Metrics::decision_slots(const DecisionRecord& r, const policy::Plan* plan) {
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
  // Audit: the denial's labels with error="audit", so dashboards tell a would-deny from a denial and an allow.
  const std::string_view error = denied ? "forbidden" : r.audit ? "audit" : "";
  if (r.protocol == "http" || r.protocol == "http2")
    return {slot(http_statuses_, error_key(l, "http_status", denied ? "403" : "", error)), nullptr};
  if (r.protocol == "grpc")  // 7 = PERMISSION_DENIED, as upstream reports it
    return {slot(grpc_statuses_, error_key(l, "grpc_status", denied ? "7" : "0", error)), nullptr};
  Family& open = r.protocol == "tls" ? tls_open_ : tcp_open_;
  Family& close = r.protocol == "tls" ? tls_close_ : tcp_close_;
  return {slot(open, labels(l)), error.empty() ? nullptr : slot(close, error_key(l, "", "", error))};
}

// Issue 19: the series a decision increments depend only on the plan and a few of the record's fields, so each
// worker thread remembers them (label rendering and the family's shared lock were 5% of the enforcer's CPU per
// inspected connection). The cache holds the plan (no other plan can reuse its address while cached) and is
// emptied for another Metrics, another plan, and at 4096 entries.
Metrics::Slots Metrics::cached_slots(const DecisionRecord& r) {
  struct Cache {
    std::uint64_t owner = 0;
    std::shared_ptr<const policy::Plan> plan;
    std::unordered_map<std::string, Slots> slots;
    std::string key;
  };
  thread_local Cache c;
  if (c.owner != id_ || c.plan != r.plan || c.slots.size() >= 4096) {
    c.slots.clear();
    c.owner = id_;
    c.plan = r.plan;
  }
  std::string& key = c.key;
  key.clear();
  const auto field = [&key](std::string_view v) {
    key.append(v);
    key += '\0';
  };
  field(r.network);
  key.append(reinterpret_cast<const char*>(&r.dport), sizeof r.dport);
  if (r.route) {
    key += r.route->is_default ? 'd' : 'r';
    field(r.route->kind);
    field(r.route->ns);
    field(r.route->name);
  }
  key += '|';
  field(r.protocol);
  key += r.verdict == FlowVerdict::Deny ? 'D' : 'A';
  key += r.audit ? 'a' : '-';
  if (options_.hostname_label) key.append(r.host);
  auto it = c.slots.find(key);
  if (it == c.slots.end()) it = c.slots.emplace(key, decision_slots(r, r.plan.get())).first;
  return it->second;
}

void Metrics::count_decision(const DecisionRecord& r, const policy::Plan* plan) {
  const Slots s = plan && plan == r.plan.get() ? cached_slots(r) : decision_slots(r, plan);
  s.first->fetch_add(1, std::memory_order_relaxed);
  if (s.second) s.second->fetch_add(1, std::memory_order_relaxed);
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
  const Counters c = read_runtime_ ? read_runtime_() : Counters{};
  std::string_view current;  // the family whose samples are being written
  const auto sample = [&](const char* type, std::string_view family, std::string_view label, std::string_view value,
                          std::string_view help, std::uint64_t n) {
    if (family.empty()) return;  // summary only
    if (family != current) append_header(out, family, help, type);
    current = family;
    std::string l;
    if (!label.empty()) append_label(l, label, value);
    append_sample(out, family, l, n);
  };
#define NFEGRESS_VALUE_counter(field) c.field.get()
#define NFEGRESS_VALUE_gauge(field) c.field.get()
#define NFEGRESS_VALUE_shared(field) field.load(std::memory_order_relaxed)
#define NFEGRESS_TYPE_counter "counter"
#define NFEGRESS_TYPE_gauge "gauge"
#define NFEGRESS_TYPE_shared "counter"
#define NFEGRESS_X(kind, field, family, label, value, help) \
  sample(NFEGRESS_TYPE_##kind, family, label, value, help, NFEGRESS_VALUE_##kind(field));
  NFEGRESS_COUNTERS(NFEGRESS_X)
#undef NFEGRESS_X
#undef NFEGRESS_VALUE_counter
#undef NFEGRESS_VALUE_gauge
#undef NFEGRESS_VALUE_shared
#undef NFEGRESS_TYPE_counter
#undef NFEGRESS_TYPE_gauge
#undef NFEGRESS_TYPE_shared
}

void Metrics::render_audit(std::string& out) const {
  static constexpr std::string_view kName = "nfegress_audit_kernel_flows_total";
  append_counter_header(out, kName,
                        "Flows of audited EgressNetworks the kernel let through that enforce mode would drop or reset, "
                        "by network, protocol and destination port");
  if (!audit_reader_) return;
  for (const auto& a : audit_reader_()) {
    std::string l;
    const auto slash = a.network.find('/');
    append_label(l, "parent_namespace", a.network.substr(0, slash));
    append_label(l, "parent_name", slash == std::string::npos ? std::string() : a.network.substr(slash + 1));
    append_label(l, "protocol", a.proto);
    append_label(l, "port", std::to_string(a.port));
    // Node mode: one network can be in several plans (a global EgressNetwork with a route scoped to a namespace
    // is in `global` and that namespace's plan), each with its own sets: the plan keeps the samples apart.
    if (!a.plan.empty()) append_label(l, "plan", a.plan);
    append_sample(out, kName, l, a.flows);
  }
}

std::string Metrics::render() const {
  std::string out;
  for (const Family* f : {&http_statuses_, &grpc_statuses_, &tls_open_, &tls_close_, &tcp_open_, &tcp_close_})
    render_family(*f, out);

  render_own(out);
  render_audit(out);

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
