// policy/explain.cpp — layer: pure decision. See explain.hpp. Must not: read files, print, touch the kernel.
#include "policy/explain.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "policy/compile.hpp"
#include "policy/compile_internal.hpp"
#include "policy/compile_partition.hpp"

namespace nfegress::policy {
namespace {

struct CandidateFit {
  const EgressNetwork* en = nullptr;
  std::optional<u128> size_m1;  // smallest containing network, nullopt = does not contain the address
  std::string network;          // which network of the EgressNetwork
};

std::string size_text(u128 size_m1) {
  if (size_m1 == ~u128{0}) return "340282366920938463463374607431768211456";  // 2^128
  return format_u128(size_m1 + 1);
}

CandidateFit fit(const EgressNetwork& en, const IpAddr& a, const std::vector<IpPrefix>& cluster) {
  CandidateFit f;
  f.en = &en;
  auto consider = [&](const detail::NetworkPieces& np, const std::string& text) {
    if (np.family != a.family) return;
    for (const auto& [lo, hi] : np.pieces)
      if (a.value >= lo && a.value <= hi && (!f.size_m1 || np.size_m1 < *f.size_m1)) {
        f.size_m1 = np.size_m1;
        f.network = text;
      }
  };
  if (en.networks) {
    for (const auto& n : *en.networks) {
      std::string text = n.cidr_text.empty() ? format_prefix(n.cidr) : n.cidr_text;
      if (!n.except.empty()) {
        text += " except [";
        for (std::size_t i = 0; i < n.except.size(); ++i)
          text += (i ? ", " : "") + (i < n.except_text.size() ? n.except_text[i] : format_prefix(n.except[i]));
        text += "]";
      }
      consider(detail::network_pieces(n.cidr, n.except), text);
    }
  } else {
    for (const auto& np : detail::effective_networks(en, cluster))
      consider(np, np.family == Family::V4 ? "0.0.0.0/0 minus cluster networks (networks absent)"
                                           : "::/0 minus cluster networks (networks absent)");
  }
  return f;
}

// Which rule of candidate_before separated the winner from the runner-up (never the input order).
std::string tie_break(const CandidateFit& w, const CandidateFit& r) {
  if (*w.size_m1 != *r.size_m1) return "smaller network";
  if (w.en->meta.creation != r.en->meta.creation)
    return w.en->meta.creation ? "same size; older creationTimestamp"
                               : "same size; no creationTimestamp (counts as oldest)";
  const std::string same = w.en->meta.creation ? "same size and creationTimestamp" : "same size, neither has a "
                                                                                     "creationTimestamp";
  if (w.en->meta.ns != r.en->meta.ns) return same + "; namespace first alphabetically";
  return same + "; name first alphabetically";
}

void explain_candidates(const ResourceSet& rs, const Plan& plan, const ExplainQuery& q, Explanation& e) {
  const auto cluster =
      plan.options.cluster_networks.empty() ? default_cluster_networks() : plan.options.cluster_networks;
  const auto cands = detail::select_candidates(rs, plan.client_ns, plan.options.global_ns, nullptr);
  std::string scope = "candidates for clients in namespace " + plan.client_ns;
  bool local = false;
  for (std::size_t i : cands) local = local || rs.networks[i].meta.ns == plan.client_ns;
  scope += local ? " (its own EgressNetworks" : " (the global namespace " + plan.options.global_ns;
  scope += "): " + std::to_string(cands.size());
  e.why.push_back(scope);
  std::vector<CandidateFit> fits;
  for (std::size_t i : cands) {
    auto f = fit(rs.networks[i], q.dst, cluster);
    e.why.push_back("  " + f.en->meta.ns + "/" + f.en->meta.name + ": " +
                    (f.size_m1 ? "contains " + format_ip(q.dst) + " in " + f.network + ", size " + size_text(*f.size_m1)
                               : "does not contain " + format_ip(q.dst)));
    if (f.size_m1) fits.push_back(f);
  }
  std::sort(fits.begin(), fits.end(), [](const CandidateFit& a, const CandidateFit& b) {
    if (*a.size_m1 != *b.size_m1) return *a.size_m1 < *b.size_m1;
    return detail::candidate_before(*a.en, *b.en);
  });
  if (fits.size() >= 2)
    e.why.push_back("  winner " + fits[0].en->meta.ns + "/" + fits[0].en->meta.name + " over " +
                    fits[1].en->meta.ns + "/" + fits[1].en->meta.name + ": " + tie_break(fits[0], fits[1]));
  if (fits.empty() && std::any_of(cluster.begin(), cluster.end(), [&](const IpPrefix& c) { return c.contains(q.dst); }))
    e.why.push_back("  " + format_ip(q.dst) + " is inside a cluster network and no EgressNetwork captures it "
                    "explicitly");
}

// Diagnostics that bear on this query: shadowing, and those about the chosen network or its routes.
void explain_diagnostics(const ResourceSet& rs, const Plan& plan, const ExplainQuery& q, Explanation& e) {
  const CompiledNetwork* net = e.decision.network ? &plan.networks[*e.decision.network] : nullptr;
  std::vector<std::string> lines;
  for (const auto& d : plan.diagnostics) {
    bool relevant = d.kind.empty();
    if (net && d.kind == "EgressNetwork" && d.ns == net->ns && d.name == net->name) relevant = true;
    if (net && d.message.find("EgressNetwork " + net->id() + " port " + std::to_string(q.port)) != std::string::npos)
      relevant = true;
    if (net && !relevant && !d.kind.empty() && d.kind != "EgressNetwork") {
      for (const auto& r : rs.routes) {
        if (r.meta.ns != d.ns || r.meta.name != d.name || route_kind_name(r.kind) != d.kind) continue;
        for (const auto& p : r.parents)
          if ((p.ns ? *p.ns : r.meta.ns) == net->ns && p.name == net->name && (!p.port || *p.port == q.port))
            relevant = true;
      }
    }
    if (relevant) lines.push_back("  " + d.format());
  }
  if (!lines.empty()) {
    e.why.push_back("conflicts, shadowing and other warnings that apply:");
    e.why.insert(e.why.end(), lines.begin(), lines.end());
  }
}

}  // namespace

const char* decision_name(DecisionKind k) {
  switch (k) {
    case DecisionKind::Allow: return "allow";
    case DecisionKind::Deny: return "deny";
    case DecisionKind::Untouched: return "untouched";
  }
  return "";
}

Explanation explain(const ResourceSet& resources, const Plan& plan, const ExplainQuery& q) {
  Explanation e;
  const Matcher m(plan);
  std::vector<std::string> trace;
  e.decision = m.decide(q.dst, q.port, q.proto, q.request, &trace);
  e.route = route_of(plan, e.decision);
  e.reason = reason_text(plan, e.decision);
  if (e.decision.network) {
    e.network = plan.networks[*e.decision.network].id();
    e.audited = plan.networks[*e.decision.network].audit;
  }
  explain_candidates(resources, plan, q, e);
  if (!trace.empty()) {
    e.why.push_back("decision path:");
    for (const auto& t : trace) e.why.push_back("  " + t);
  }
  explain_diagnostics(resources, plan, q, e);
  if (e.audited)
    e.why.push_back("EgressNetwork " + *e.network + " is in audit mode (" + kModeAnnotation + ": " + kModeAudit +
                    ", or --audit): what it would deny is let through and recorded as a would-deny");
  return e;
}

Explanation explain(const ResourceSet& resources, const std::string& client_ns, const CompileOptions& options,
                    const ExplainQuery& query) {
  const Plan plan = compile(resources, client_ns, options);
  return explain(resources, plan, query);
}

std::string explanation_json(const Explanation& e) {
  nlohmann::ordered_json j;
  j["decision"] = e.would_deny() ? "allow" : decision_name(e.decision.kind);
  j["egressNetwork"] = e.network ? nlohmann::ordered_json(*e.network) : nlohmann::ordered_json(nullptr);
  if (e.route) {
    nlohmann::ordered_json r;
    r["kind"] = e.route->kind;
    r["namespace"] = e.route->ns;
    r["name"] = e.route->name;
    j["route"] = r;
  } else {
    j["route"] = nullptr;
  }
  j["reason"] = e.reason;
  if (e.would_deny()) j["audit"] = "deny";
  return j.dump() + "\n";
}

std::string explanation_text(const Explanation& e) {
  std::string out;
  out += "decision: " +
         (e.would_deny() ? std::string("allow (audit: would deny in enforce mode)") : decision_name(e.decision.kind)) +
         "\n";
  out += "egressNetwork: " + (e.network ? *e.network : std::string("-")) + "\n";
  out += "route: " +
         (e.route ? e.route->kind + " " + e.route->ns + "/" + e.route->name : std::string("-")) +
         "\n";
  out += "reason: " + e.reason + "\n";
  if (!e.why.empty()) {
    out += "why:\n";
    for (const auto& w : e.why) out += "  " + w + "\n";
  }
  return out;
}

std::optional<std::pair<IpAddr, std::uint16_t>> parse_destination(std::string_view s) {
  std::string_view ip, port;
  if (!s.empty() && s.front() == '[') {
    const auto close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') return std::nullopt;
    ip = s.substr(1, close - 1);
    port = s.substr(close + 2);
    if (ip.find(':') == std::string_view::npos) return std::nullopt;
  } else {
    const auto colon = s.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    ip = s.substr(0, colon);
    port = s.substr(colon + 1);
    if (ip.find(':') != std::string_view::npos) return std::nullopt;  // IPv6 needs brackets
  }
  const auto a = parse_ip(ip);
  unsigned p = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (!a || port.empty() || ec != std::errc{} || ptr != port.data() + port.size() || p == 0 || p > 65535)
    return std::nullopt;
  return std::make_pair(*a, static_cast<std::uint16_t>(p));
}

std::optional<Proto> parse_proto(std::string_view s) {
  if (detail::iequals(s, "tcp")) return Proto::Tcp;
  if (detail::iequals(s, "udp")) return Proto::Udp;
  return std::nullopt;
}

std::optional<RequestInfo> request_from_flags(const RequestFlags& f, std::string& error) {
  auto lower = [](std::string s) {
    for (auto& c : s)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  };
  RequestInfo r;
  if (f.sni) {
    r.tls = true;
    r.sni = lower(*f.sni);
  }
  if (f.host || f.path || f.method || !f.headers.empty()) {
    r.http = true;
    if (f.host) {
      std::string h = *f.host;
      // Host without port (a bracketed IPv6 literal keeps its brackets' content).
      if (!h.empty() && h.front() == '[') {
        const auto close = h.find(']');
        h = close == std::string::npos ? h.substr(1) : h.substr(1, close - 1);
      } else if (const auto colon = h.find(':'); colon != std::string::npos) {
        h.resize(colon);
      }
      r.host = lower(h);
    }
    r.path = f.path.value_or("/");
    if (const auto qm = r.path.find('?'); qm != std::string::npos) {
      r.query = r.path.substr(qm + 1);
      r.path.resize(qm);
    }
    if (r.path.empty()) r.path = "/";
    r.method = f.method.value_or("");
    for (const auto& h : f.headers) {
      const auto colon = h.find(':');
      if (colon == std::string::npos || colon == 0) {
        error = "--header '" + h + "': expected NAME:VALUE";
        return std::nullopt;
      }
      std::string value = h.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(value.begin());
      std::string name = lower(h.substr(0, colon));
      if (name == "content-type" && value.rfind("application/grpc", 0) == 0) r.grpc = true;
      if (name == "host" && !r.host) r.host = lower(value);
      r.headers.emplace_back(std::move(name), std::move(value));
    }
  }
  return r;
}

}  // namespace nfegress::policy
