// policy/match.cpp — layer: pure decision. docs/policy-reference.md's matching on a compiled Plan: address -> network
// (binary search), port -> kernel verdict or route table, request -> route (hostname index, then rule score).
// The reason is recorded as a code plus arguments (match_reason.cpp renders it). Must not: do I/O, throw or
// allocate on the decide() path (trace lines only when asked).
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

  // Returns the port's policy (nullptr: none, or not TCP).
  const PortPolicy* decide_l4(const IpAddr& dst, std::uint16_t port, Proto proto, std::vector<std::string>* trace,
                              Decision& d) const;
  void match(const CompiledNetwork& net, const PortTable& t, const RequestInfo& req,
             std::vector<std::string>* trace, Decision& d) const;
};

Matcher::Matcher(const Plan& plan) : impl_(std::make_unique<Impl>(plan)) {}
Matcher::~Matcher() = default;
const Plan& Matcher::plan() const { return impl_->plan; }

Decision Matcher::decide_l4(const IpAddr& dst, std::uint16_t port, Proto proto,
                            std::vector<std::string>* trace) const {
  Decision d;
  impl_->decide_l4(dst, port, proto, trace, d);
  return d;
}

const PortPolicy* Matcher::Impl::decide_l4(const IpAddr& dst, std::uint16_t port, Proto proto,
                                           std::vector<std::string>* trace, Decision& d) const {
  d.port = port;
  const auto ni = plan.network_for(dst);
  if (!ni) {
    d.kind = DecisionKind::Untouched;
    d.reason = ReasonCode::NoNetwork;
    d.dst = dst;
    return nullptr;
  }
  d.network = ni;
  const CompiledNetwork& net = plan.networks[*ni];
  if (trace)
    trace->push_back("destination " + format_ip(dst) + " belongs to EgressNetwork " + net.id() +
                     " (trafficPolicy " + (net.traffic_policy == TrafficPolicy::Allow ? "Allow" : "Deny") + ")");
  if (proto != Proto::Tcp) {
    d.kind = of(net.other_default);
    d.reason = ReasonCode::NonTcp;
    return nullptr;
  }
  const PortPolicy* pp = net.port(port);
  if (!pp) {
    d.kind = of(net.tcp_default);
    d.route_source = RouteSource::Default;
    d.default_kind = Inspection::None;
    d.reason = ReasonCode::NoPortRoute;
    return nullptr;
  }
  d.route_source = RouteSource::Port;
  if (pp->verdict == Verdict::Inspect) {
    d.needs_inspection = true;
    d.inspection = pp->inspection;
    d.kind = of(net.tcp_default);
    d.reason = ReasonCode::Inspected;
    return pp;
  }
  d.kind = of(pp->verdict);
  if (pp->inspection == Inspection::None && !pp->routes.empty()) {
    d.reason = ReasonCode::TakenByRoute;
    d.route = static_cast<std::uint32_t>(pp->routes.front());
  } else {
    d.reason = ReasonCode::KernelDecided;
  }
  return pp;
}

Decision Matcher::decide(const IpAddr& dst, std::uint16_t port, Proto proto, const RequestInfo& req,
                         std::vector<std::string>* trace) const {
  Decision d;
  const PortPolicy* pp = impl_->decide_l4(dst, port, proto, trace, d);
  if (!pp || pp->inspection == Inspection::None) return d;
  const CompiledNetwork& net = impl_->plan.networks[*d.network];
  const auto pos = static_cast<std::size_t>(pp - net.ports.data());
  // Also for ports the kernel decides because every route agrees with the default: matching names the route
  // that would have decided, and the outcome is the same by construction.
  const bool kernel_decided = !d.needs_inspection;
  d.needs_inspection = false;
  impl_->match(net, *impl_->tables[*d.network][pos], req, trace, d);
  d.kernel_decided = kernel_decided;
  return d;
}

void Matcher::Impl::match(const CompiledNetwork& net, const PortTable& t, const RequestInfo& req,
                          std::vector<std::string>* trace, Decision& d) const {
  auto fall_to_default = [&](ReasonCode why) {
    d.kind = of(net.tcp_default);
    d.route_source = RouteSource::Default;
    d.default_kind = t.kind;
    d.reason = why;
  };
  const bool tls = t.kind == Inspection::Tls;
  if (tls && !req.tls) return fall_to_default(ReasonCode::NotTls);
  if (tls && !req.sni) return fall_to_default(ReasonCode::TlsWithoutSni);
  if (!tls && !req.http) return fall_to_default(ReasonCode::NotHttp);

  const std::optional<std::string>& raw = tls ? req.sni : req.host;
  std::optional<std::string_view> host;
  if (raw) {
    std::string_view h;
    if (detail::normalize_host(*raw, d.host.data(), d.host.size(), h)) {
      host = h;
    } else {
      // Longer than Decision::host (DNS names are at most 253 bytes): no hostname can match it, so it is matched
      // like a request without a host (only routes without hostnames). Its start and length are kept for the
      // reason text.
      const std::size_t kept = std::min(raw->size(), Decision::kHostKept);
      std::copy_n(raw->data(), kept, d.host.data());
      h = std::string_view(d.host.data(), kept);
      d.host_oversize = static_cast<std::uint32_t>(std::min<std::size_t>(raw->size(), 0xFFFFFFFFu));
    }
    d.host_len = static_cast<std::uint16_t>(h.size());
  }

  const Entry* best = nullptr;
  std::size_t best_rule = 0;
  detail::Score best_score{};
  t.hosts.visit(host, [&](detail::HostTier tier, std::string_view name, const std::vector<std::uint32_t>& ids) {
    for (std::uint32_t id : ids) {
      const Entry& e = t.entries[id];
      const auto& rules = this->rules[e.route];
      for (std::size_t k = 0; k < rules.size(); ++k) {
        std::optional<detail::Score> s;
        if (tls) s = detail::Score{0, 0, 0, 0};
        else if (t.kind == Inspection::Grpc) s = detail::match_grpc(rules[k], req);
        else s = detail::match_http(rules[k], req);
        if (trace) {
          const Route& r = plan.routes[e.route];
          trace->push_back("  " + route_id(r) + " rule " + std::to_string(k) + ": " +
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
    if (trace && !best) {
      std::string tn = tier == detail::HostTier::Exact      ? "exact hostname " + std::string(name)
                       : tier == detail::HostTier::Wildcard ? "wildcard *." + std::string(name)
                                                            : std::string("routes without hostnames");
      trace->push_back("  (host tier " + tn + ": no rule matched)");
    }
    if (best) {
      d.host_match = tier == detail::HostTier::Exact      ? HostMatch::Exact
                     : tier == detail::HostTier::Wildcard ? HostMatch::Wildcard
                                                          : HostMatch::Any;
      // The matched name is the host itself (exact) or one of its suffixes (wildcard).
      d.match_offset = static_cast<std::uint16_t>(d.host_len - std::min<std::size_t>(name.size(), d.host_len));
    }
    return best != nullptr;
  });
  if (!best) return fall_to_default(tls ? ReasonCode::NoTlsMatch : ReasonCode::NoHttpMatch);
  const auto o = best->outcomes[best_rule];
  d.kind = o == detail::RuleOutcome::LetThrough ? DecisionKind::Allow : DecisionKind::Deny;
  d.route_source = RouteSource::Route;
  d.route = best->route;
  d.rule = static_cast<std::uint32_t>(best_rule);
  d.outcome = static_cast<std::uint8_t>(o);
  d.reason = ReasonCode::Matched;
  if (trace) {
    const Route& r = plan.routes[best->route];
    trace->push_back("winner: " + route_id(r) + " rule " + std::to_string(best_rule) +
                     (tls ? std::string() : " with score " + score_text(best_score, t.kind)) +
                     " (higher host tier first, then higher score, then older route, then namespace/name, then "
                     "rule order)");
  }
}

}  // namespace nfegress::policy
