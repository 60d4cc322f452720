// policy/match.cpp — layer: pure decision. §5 of egress-semantics.md on a compiled Plan: address -> network
// (binary search), port -> kernel verdict or route table, request -> route (hostname index, then rule score).
// Must not: do I/O, throw on the decide() path, allocate beyond the Decision (trace only when asked).
#include "policy/match.hpp"

#include <algorithm>
#include <memory>

#include "policy/compile_internal.hpp"
#include "policy/hostname_index.hpp"
#include "policy/match_rules.hpp"

namespace nfegress::policy {
namespace {

struct Entry {  // one route on one inspected port
  std::uint32_t route = 0;  // index into Plan::routes
  std::uint32_t age = 0;    // rank by age, then namespace, then name (lower = older = wins ties)
  std::vector<detail::RuleOutcome> outcomes;  // per effective rule, for this parent
};

struct PortTable {
  Inspection kind = Inspection::None;
  std::vector<Entry> entries;
  detail::HostIndex hosts;
};

const char* policy_name(TrafficPolicy p) { return p == TrafficPolicy::Allow ? "Allow" : "Deny"; }
const char* inspection_name(Inspection i) {
  switch (i) {
    case Inspection::Tls: return "TLS SNI";
    case Inspection::Http: return "HTTP request";
    case Inspection::Grpc: return "gRPC call";
    case Inspection::None: return "none";
  }
  return "";
}
DecisionKind of(Verdict v) { return v == Verdict::Allow ? DecisionKind::Allow : DecisionKind::Deny; }
std::string route_id(const Route& r) {
  return std::string(route_kind_name(r.kind)) + " " + r.meta.ns + "/" + r.meta.name;
}
std::string score_text(const detail::Score& s, Inspection k) {
  if (k == Inspection::Grpc)
    return "(method parts " + std::to_string(s[0]) + ", headers " + std::to_string(s[1]) + ")";
  return "(path length " + std::to_string(s[0]) + ", headers " + std::to_string(s[1]) + ", query " +
         std::to_string(s[2]) + ", method " + std::to_string(s[3]) + ")";
}

}  // namespace

struct Matcher::Impl {
  const Plan& plan;
  std::vector<std::vector<detail::CompiledRule>> rules;           // per plan route
  std::vector<std::uint32_t> age;                                 // per plan route
  std::vector<std::vector<std::unique_ptr<PortTable>>> tables;   // [network][port position], Inspect only

  explicit Impl(const Plan& p) : plan(p) {
    for (const auto& r : plan.routes) {
      std::vector<detail::CompiledRule> rs;
      for (const auto& rule : detail::effective_rules(r)) rs.push_back(detail::compile_rule(rule, nullptr));
      rules.push_back(std::move(rs));
    }
    std::vector<std::uint32_t> order(plan.routes.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
      if (detail::route_before(plan.routes[a], plan.routes[b])) return true;
      if (detail::route_before(plan.routes[b], plan.routes[a])) return false;
      return a < b;
    });
    age.resize(order.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) age[order[i]] = i;

    tables.resize(plan.networks.size());
    for (std::size_t n = 0; n < plan.networks.size(); ++n) {
      const auto& net = plan.networks[n];
      tables[n].resize(net.ports.size());
      for (std::size_t k = 0; k < net.ports.size(); ++k) {
        const auto& pp = net.ports[k];
        if (pp.inspection == Inspection::None) continue;  // TCPRoute ports: nothing to match
        auto t = std::make_unique<PortTable>();
        t->kind = pp.inspection;
        for (std::size_t ri : pp.routes) {
          const Route& r = plan.routes[ri];
          Entry e;
          e.route = static_cast<std::uint32_t>(ri);
          e.age = age[ri];
          for (const auto& rule : detail::effective_rules(r)) e.outcomes.push_back(detail::rule_outcome(rule, r, net));
          t->hosts.add(static_cast<std::uint32_t>(t->entries.size()), r.hostnames);
          t->entries.push_back(std::move(e));
        }
        tables[n][k] = std::move(t);
      }
    }
  }

  void match(const CompiledNetwork& net, const PortTable& t, std::uint16_t port, const RequestInfo& req,
             bool with_trace, Decision& d) const;
};

Matcher::Matcher(const Plan& plan) : impl_(std::make_unique<Impl>(plan)) {}
Matcher::~Matcher() = default;
const Plan& Matcher::plan() const { return impl_->plan; }

Decision Matcher::decide_l4(const IpAddr& dst, std::uint16_t port, Proto proto, bool with_trace) const {
  const Plan& plan = impl_->plan;
  Decision d;
  const auto ni = plan.network_for(dst);
  if (!ni) {
    d.kind = DecisionKind::Untouched;
    d.reason = "no EgressNetwork captures " + format_ip(dst) + " for clients in namespace " + plan.client_ns;
    return d;
  }
  d.network = ni;
  const CompiledNetwork& net = plan.networks[*ni];
  if (with_trace)
    d.trace.push_back("destination " + format_ip(dst) + " belongs to EgressNetwork " + net.id() +
                      " (trafficPolicy " + policy_name(net.traffic_policy) + ")");
  if (proto != Proto::Tcp) {
    d.kind = of(net.other_default);
    d.reason = std::string("non-TCP traffic to EgressNetwork ") + net.id() + " (trafficPolicy " +
               policy_name(net.traffic_policy) + "): " +
               (net.other_default == Verdict::Allow
                    ? "let through"
                    : "dropped (Deny means deny for UDP too; --allow-udp restores upstream behaviour)");
    return d;
  }
  const PortPolicy* pp = net.port(port);
  if (!pp) {
    d.kind = of(net.tcp_default);
    d.route = detail::default_route(Inspection::None, net.traffic_policy, net.ns);
    d.reason = "no route for port " + std::to_string(port) + " on EgressNetwork " + net.id() + ": trafficPolicy " +
               policy_name(net.traffic_policy) + " decides";
    return d;
  }
  d.route = pp->route;
  if (pp->verdict == Verdict::Inspect) {
    d.needs_inspection = true;
    d.inspection = pp->inspection;
    d.kind = of(net.tcp_default);
    d.reason = "port " + std::to_string(port) + " of EgressNetwork " + net.id() + " is inspected (" +
               inspection_name(pp->inspection) + "): the request decides";
    return d;
  }
  d.kind = of(pp->verdict);
  if (pp->inspection == Inspection::None && !pp->routes.empty()) {
    const Route& r = plan.routes[pp->routes.front()];
    const auto o = detail::rule_outcome(detail::effective_rules(r).front(), r, net);
    d.reason = route_id(r) + " takes port " + std::to_string(port) + " of EgressNetwork " + net.id() + ": " +
               detail::outcome_text(o);
  } else {
    d.reason = std::string("every route on port ") + std::to_string(port) + " of EgressNetwork " + net.id() +
               (pp->verdict == Verdict::Allow ? " lets traffic through" : " denies") + " and so does trafficPolicy " +
               policy_name(net.traffic_policy) + ": decided in the kernel for any request";
  }
  return d;
}

Decision Matcher::decide(const IpAddr& dst, std::uint16_t port, Proto proto, const RequestInfo& req,
                         bool with_trace) const {
  Decision d = decide_l4(dst, port, proto, with_trace);
  if (!d.network || proto != Proto::Tcp) return d;
  const CompiledNetwork& net = impl_->plan.networks[*d.network];
  const PortPolicy* pp = net.port(port);
  if (!pp || pp->inspection == Inspection::None) return d;
  const auto pos = static_cast<std::size_t>(pp - net.ports.data());
  // Also for ports the kernel decides because every route agrees with the default: matching names the route
  // that would have decided, and the outcome is the same by construction.
  const std::string kernel_reason = d.needs_inspection ? std::string() : d.reason;
  d.needs_inspection = false;
  impl_->match(net, *impl_->tables[*d.network][pos], port, req, with_trace, d);
  if (!kernel_reason.empty()) d.reason += " (" + kernel_reason + ")";
  return d;
}

void Matcher::Impl::match(const CompiledNetwork& net, const PortTable& t, std::uint16_t port,
                          const RequestInfo& req, bool with_trace, Decision& d) const {
  const std::string where = "port " + std::to_string(port) + " of EgressNetwork " + net.id();
  auto fall_to_default = [&](const std::string& why) {
    d.kind = of(net.tcp_default);
    d.route = detail::default_route(t.kind, net.traffic_policy, net.ns);
    d.reason = why + ": trafficPolicy " + policy_name(net.traffic_policy) + " decides (" + d.route->name + ")";
  };
  const bool tls = t.kind == Inspection::Tls;
  if (tls && !req.tls) return fall_to_default("not TLS on TLSRoute " + where);
  if (tls && !req.sni) return fall_to_default("TLS without SNI on " + where);
  if (!tls && !req.http) return fall_to_default("not an HTTP request on " + where);

  const std::optional<std::string>& raw = tls ? req.sni : req.host;
  char buf[256];
  std::optional<std::string_view> host;
  if (raw) {
    std::string_view h;
    if (detail::normalize_host(*raw, buf, sizeof buf, h)) host = h;
    else host = std::string_view("\x01");  // too long for any DNS name: matches no hostname
  }

  const Entry* best = nullptr;
  std::size_t best_rule = 0;
  detail::Score best_score{};
  detail::HostTier best_tier = detail::HostTier::Any;
  std::string_view best_host;
  t.hosts.visit(host, [&](detail::HostTier tier, std::string_view name, const std::vector<std::uint32_t>& ids) {
    for (std::uint32_t id : ids) {
      const Entry& e = t.entries[id];
      const auto& rules = this->rules[e.route];
      for (std::size_t k = 0; k < rules.size(); ++k) {
        std::optional<detail::Score> s;
        if (tls) s = detail::Score{0, 0, 0, 0};
        else if (t.kind == Inspection::Grpc) s = detail::match_grpc(rules[k], req);
        else s = detail::match_http(rules[k], req);
        if (with_trace) {
          const Route& r = plan.routes[e.route];
          d.trace.push_back("  " + route_id(r) + " rule " + std::to_string(k) + ": " +
                            (s ? (tls ? std::string("matches") : "matches, score " + score_text(*s, t.kind))
                               : std::string("does not match")));
        }
        if (!s) continue;
        if (!best || *s > best_score || (*s == best_score && e.age < best->age)) {
          best = &e;
          best_rule = k;
          best_score = *s;
        }
      }
    }
    if (with_trace && !best) {
      std::string tn = tier == detail::HostTier::Exact      ? "exact hostname " + std::string(name)
                       : tier == detail::HostTier::Wildcard ? "wildcard *." + std::string(name)
                                                            : std::string("routes without hostnames");
      d.trace.push_back("  (host tier " + tn + ": no rule matched)");
    }
    if (best) {
      best_tier = tier;
      best_host = name;
    }
    return best != nullptr;
  });
  if (!best) {
    if (tls) return fall_to_default("no TLSRoute on " + where + " matches SNI " + std::string(host ? *host : ""));
    return fall_to_default(std::string("no ") + (t.kind == Inspection::Grpc ? "GRPCRoute" : "HTTPRoute") +
                           " on " + where + " matches the request");
  }
  const Route& r = plan.routes[best->route];
  const auto o = best->outcomes[best_rule];
  d.kind = o == detail::RuleOutcome::LetThrough ? DecisionKind::Allow : DecisionKind::Deny;
  d.route = RouteRef{route_kind_name(r.kind), r.meta.ns, r.meta.name, false};
  std::string how = best_tier == detail::HostTier::Exact      ? "hostname " + std::string(best_host)
                    : best_tier == detail::HostTier::Wildcard ? "hostname *." + std::string(best_host)
                                                              : std::string("no hostnames (any host)");
  d.reason = route_id(r) + " rule " + std::to_string(best_rule) + " matched on " + where + " by " + how + ": " +
             detail::outcome_text(o);
  if (with_trace)
    d.trace.push_back("winner: " + route_id(r) + " rule " + std::to_string(best_rule) +
                      (tls ? std::string() : " with score " + score_text(best_score, t.kind)) +
                      " (higher host tier first, then higher score, then older route, then namespace/name, then "
                      "rule order)");
}

}  // namespace nfegress::policy
