// policy/compile_ports.cpp — layer: pure decision (docs/policy-reference.md, "Routes"): which routes attach to which
// (EgressNetwork, port) of the plan, route scoping, kind conflicts, opaque ports, TCPRoute ownership and the
// kernel verdict of every port that has routes. Must not: match requests (match*.cpp), touch the kernel.
#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "policy/compile_internal.hpp"

namespace nfegress::policy::detail {
namespace {

Diagnostic route_warning(const Route& r, std::string field, std::string message) {
  return Diagnostic{Severity::Warning, r.meta.loc, route_kind_name(r.kind), r.meta.ns, r.meta.name,
                    std::move(field), std::move(message)};
}

bool is_egress_parent(const ParentRef& p) {
  return iequals(p.group, "policy.linkerd.io") && iequals(p.kind, "EgressNetwork");
}

// Route-level filters that make upstream drop the whole route; returns the first one found.
const Filter* dropping_filter(const Route& r, std::string& field) {
  for (std::size_t i = 0; i < r.rules.size(); ++i)
    for (std::size_t j = 0; j < r.rules[i].filters.size(); ++j) {
      const auto& f = r.rules[i].filters[j];
      if (f.type == "RequestMirror" || f.type == "URLRewrite" || f.type == "ExtensionRef") {
        field = "spec.rules[" + std::to_string(i) + "].filters[" + std::to_string(j) + "]";
        return &f;
      }
    }
  return nullptr;
}

void note_ignored_filters(const Route& r, Diagnostics& d) {
  for (std::size_t i = 0; i < r.rules.size(); ++i)
    for (std::size_t j = 0; j < r.rules[i].filters.size(); ++j) {
      const auto& t = r.rules[i].filters[j].type;
      d.push_back(route_warning(r, "spec.rules[" + std::to_string(i) + "].filters[" + std::to_string(j) + "]",
                                "filter " + t + " is ignored by a transparent enforcer (it cannot modify requests)"));
    }
}

std::string port_str(const CompiledNetwork& n, std::uint16_t port) {
  return "EgressNetwork " + n.id() + " port " + std::to_string(port);
}

}  // namespace

bool route_before(const Route& a, const Route& b) {
  if (older_than(a.meta, b.meta)) return true;
  if (older_than(b.meta, a.meta)) return false;
  return std::tie(a.meta.ns, a.meta.name) < std::tie(b.meta.ns, b.meta.name);
}

void compile_ports(const ResourceSet& rs, Plan& plan) {
  std::map<std::pair<std::string, std::string>, std::uint32_t> by_id;
  for (std::uint32_t i = 0; i < plan.networks.size(); ++i)
    by_id[{plan.networks[i].ns, plan.networks[i].name}] = i;

  // (network, port) -> routes (indices into rs.routes). std::map keeps the output deterministic.
  std::map<std::pair<std::uint32_t, std::uint16_t>, std::vector<std::size_t>> attached;
  for (std::size_t ri = 0; ri < rs.routes.size(); ++ri) {
    const Route& r = rs.routes[ri];
    bool relevant = false;
    std::vector<std::pair<std::uint32_t, std::uint16_t>> targets;
    for (std::size_t pi = 0; pi < r.parents.size(); ++pi) {
      const ParentRef& p = r.parents[pi];
      if (!is_egress_parent(p)) continue;
      const std::string& pns = p.ns ? *p.ns : r.meta.ns;
      auto it = by_id.find({pns, p.name});
      if (it == by_id.end()) continue;  // not a candidate for this client
      // A route in another namespace than its parent applies only to clients in the route's namespace.
      if (r.meta.ns != pns && r.meta.ns != plan.client_ns) continue;
      relevant = true;
      if (!p.port) {
        plan.diagnostics.push_back(route_warning(r, "spec.parentRefs[" + std::to_string(pi) + "].port",
                                                 "cannot target an EgressNetwork without specifying a port; "
                                                 "parentRef ignored"));
        continue;
      }
      targets.emplace_back(it->second, *p.port);
    }
    if (!relevant) continue;
    std::string field;
    if (const Filter* f = dropping_filter(r, field)) {
      plan.diagnostics.push_back(route_warning(r, field, "filter " + f->type +
                                                             " drops the whole route (as upstream); its traffic "
                                                             "falls to the EgressNetwork default"));
      continue;
    }
    note_ignored_filters(r, plan.diagnostics);
    std::sort(targets.begin(), targets.end());
    targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
    for (const auto& t : targets) attached[t].push_back(ri);
  }

  // Per port: opaque ports, conflicts, TCPRoute ownership. Collect the surviving routes first, then copy them
  // into plan.routes in (kind, namespace, name) order and remap.
  struct Pending {
    std::uint32_t net;
    PortPolicy pp;
    std::vector<std::size_t> rs_routes;
  };
  std::vector<Pending> pending;
  std::set<std::size_t> used;
  for (auto& [key, list] : attached) {
    const auto [ni, port] = key;
    const CompiledNetwork& net = plan.networks[ni];
    const bool opaque = std::binary_search(net.opaque_ports.begin(), net.opaque_ports.end(), port);
    std::vector<std::size_t> live;
    for (std::size_t ri : list) {
      const Route& r = rs.routes[ri];
      if (opaque && r.kind != RouteKind::TCP) {
        plan.diagnostics.push_back(route_warning(
            r, "spec.parentRefs", port_str(net, port) + " is opaque: only TCPRoutes apply there; route ignored"));
        continue;
      }
      live.push_back(ri);
    }
    if (live.empty()) continue;
    RouteKind top = RouteKind::TCP;
    for (std::size_t ri : live) top = std::min(top, rs.routes[ri].kind);
    std::vector<std::size_t> winners;
    for (std::size_t ri : live) {
      const Route& r = rs.routes[ri];
      if (r.kind != top) {
        plan.diagnostics.push_back(route_warning(r, "spec.parentRefs",
                                                 "RouteReasonConflicted: a " + std::string(route_kind_name(top)) +
                                                     " names the same parent and port (" + port_str(net, port) +
                                                     "); route ignored"));
        continue;
      }
      winners.push_back(ri);
    }
    std::sort(winners.begin(), winners.end(),
              [&](std::size_t a, std::size_t b) { return route_before(rs.routes[a], rs.routes[b]); });

    Pending p{ni, {}, {}};
    p.pp.port = port;
    const Verdict dflt = net.tcp_default;
    if (top == RouteKind::TCP) {
      const Route& r = rs.routes[winners.front()];
      for (std::size_t k = 1; k < winners.size(); ++k)
        plan.diagnostics.push_back(route_warning(rs.routes[winners[k]], "spec.parentRefs",
                                                 "the older TCPRoute " + r.meta.ns + "/" + r.meta.name +
                                                     " takes the whole of " + port_str(net, port) + "; route ignored"));
      const RuleOutcome o = rule_outcome(effective_rules(r).front(), r, net);
      if (o != RuleOutcome::LetThrough)
        plan.diagnostics.push_back(route_warning(r, "spec.rules[0].backendRefs", outcome_text(o)));
      p.pp.verdict = o == RuleOutcome::LetThrough ? Verdict::Allow : Verdict::Deny;
      p.pp.inspection = Inspection::None;
      p.pp.route = RouteRef{route_kind_name(r.kind), r.meta.ns, r.meta.name, false};
      p.rs_routes = {winners.front()};
    } else {
      p.pp.inspection = top == RouteKind::GRPC ? Inspection::Grpc
                        : top == RouteKind::HTTP ? Inspection::Http
                                                 : Inspection::Tls;
      // If every rule of every route does what the default does, no request can change the outcome: the kernel
      // decides ("kernel drops for what no route can allow").
      bool constant = true;
      for (std::size_t ri : winners) {
        const Route& r = rs.routes[ri];
        const auto& rules = effective_rules(r);
        for (std::size_t k = 0; k < rules.size(); ++k) {
          const RuleOutcome o = rule_outcome(rules[k], r, net);
          if (o != RuleOutcome::LetThrough)
            plan.diagnostics.push_back(route_warning(r, "spec.rules[" + std::to_string(k) + "].backendRefs",
                                                     std::string(outcome_text(o)) + " (" + port_str(net, port) + ")"));
          if ((o == RuleOutcome::LetThrough) != (dflt == Verdict::Allow)) constant = false;
        }
      }
      p.pp.verdict = constant ? dflt : Verdict::Inspect;
      p.pp.route = default_route(p.pp.inspection, net.traffic_policy, net.ns);
      p.rs_routes = winners;
    }
    used.insert(p.rs_routes.begin(), p.rs_routes.end());
    pending.push_back(std::move(p));
  }

  std::vector<std::size_t> order(used.begin(), used.end());
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const Route& x = rs.routes[a];
    const Route& y = rs.routes[b];
    return std::tie(x.kind, x.meta.ns, x.meta.name, x.meta.input_order) <
           std::tie(y.kind, y.meta.ns, y.meta.name, y.meta.input_order);
  });
  std::map<std::size_t, std::size_t> remap;
  for (std::size_t i = 0; i < order.size(); ++i) {
    remap[order[i]] = i;
    plan.routes.push_back(rs.routes[order[i]]);
  }
  for (auto& p : pending) {
    for (std::size_t ri : p.rs_routes) p.pp.routes.push_back(remap[ri]);
    std::sort(p.pp.routes.begin(), p.pp.routes.end());
    plan.networks[p.net].ports.push_back(std::move(p.pp));
  }
}

}  // namespace nfegress::policy::detail
