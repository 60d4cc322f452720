// policy/suggest_routes.cpp — layer: pure policy. The routes suggested for one (EgressNetwork, port) from the flows
// seen there (suggest.hpp). One kind per port, because a higher kind makes the lower ones on the port ignored
// (GRPCRoute > HTTPRoute > TLSRoute > TCPRoute): TLS with SNI alone -> one TLSRoute with the SNIs; HTTP alone -> one
// HTTPRoute per host (a rule cannot name a host, so per-host paths need a route each); gRPC alone -> one GRPCRoute
// per host with the service/method pairs; anything else (unrecognised flows, TLS without SNI, several protocols) ->
// a TCPRoute for the whole port, as on an opaque port whatever was seen. Must not: do I/O.
#include <algorithm>
#include <map>
#include <set>

#include "policy/suggest_internal.hpp"

namespace nfegress::policy::suggest_detail {
namespace {

// Gateway API's maxItems (the CRDs reject more): matches of a rule, rules and hostnames of a route. Longer lists
// are split over several rules and routes.
constexpr std::size_t kMatchesPerRule = 8;
constexpr std::size_t kRulesPerRoute = 16;
constexpr std::size_t kHostnamesPerRoute = 16;

// What a route lists (hostnames, path prefixes, gRPC methods) -> the flows each covers.
using Keyed = std::map<std::string, Records>;
struct Chunk {
  std::vector<std::string> keys;
  Records flows;
};

std::vector<Chunk> chunks(const Keyed& keyed, std::size_t n) {
  std::vector<Chunk> out;
  for (const auto& [key, rs] : keyed) {
    if (out.empty() || out.back().keys.size() == n) out.emplace_back();
    out.back().keys.push_back(key);
    out.back().flows.insert(out.back().flows.end(), rs.begin(), rs.end());
  }
  return out;
}

// host -> the hostname its route names: *.LAST-N-LABELS when at least two distinct hosts share it.
std::map<std::string, std::string> wildcards(const std::set<std::string>& hosts, unsigned depth) {
  std::map<std::string, std::string> suffix_of;
  std::map<std::string, std::size_t> count;
  for (const auto& h : hosts) {
    if (depth == 0 || h.empty()) continue;
    std::size_t pos = h.size();
    unsigned labels = 0;
    while (labels < depth && pos != std::string::npos && pos > 0) {
      pos = h.rfind('.', pos - 1);
      ++labels;
    }
    if (labels < depth || pos == std::string::npos) continue;  // no more labels than kept: stays exact
    suffix_of[h] = "*" + h.substr(pos);
    ++count[suffix_of[h]];
  }
  std::map<std::string, std::string> out;
  for (const auto& h : hosts) {
    const auto it = suffix_of.find(h);
    out[h] = it != suffix_of.end() && count[it->second] >= 2 ? it->second : h;
  }
  return out;
}

void parent(std::string& out, const std::string& network, std::uint16_t port) {
  out += "spec:\n  parentRefs:\n  - {group: policy.linkerd.io, kind: EgressNetwork, name: " + q(network) +
         ", port: " + std::to_string(port) + "}\n";
}

void hostnames(std::string& out, const std::vector<std::string>& hs) {
  if (hs.empty()) return;
  out += "  hostnames:\n";
  for (const auto& h : hs) out += "  - " + q(h) + "\n";
}

std::string backend(const std::string& network) {
  return "backendRefs: [{group: policy.linkerd.io, kind: EgressNetwork, name: " + q(network) + "}]\n";
}

// Rules of at most kMatchesPerRule matches each (at most kRulesPerRoute of them: the caller splits); one rule
// without matches (everything) when `matches` is empty.
void rules(std::string& out, const std::vector<std::string>& matches, const std::string& network) {
  out += "  rules:\n";
  if (matches.empty()) out += "  - " + backend(network);
  for (std::size_t i = 0; i < matches.size(); i += kMatchesPerRule) {
    out += "  - matches:\n";
    for (std::size_t j = i; j < matches.size() && j < i + kMatchesPerRule; ++j) out += "    - " + matches[j] + "\n";
    out += "    " + backend(network);
  }
}

// PathPrefix values, without those a shorter one in the set already covers (whole segments).
std::set<std::string> minimal_prefixes(const std::set<std::string>& ps) {
  std::set<std::string> out;
  for (const auto& p : ps) {
    bool covered = p != "/" && ps.count("/");
    for (auto cut = p.rfind('/'); !covered && cut != std::string::npos && cut > 0; cut = p.rfind('/', cut - 1))
      covered = ps.count(p.substr(0, cut)) > 0;
    if (!covered) out.insert(p);
  }
  return out;
}

// The prefix of `minimal` that covers `p` (one always does: p or a shorter one).
std::string covering(const std::set<std::string>& minimal, const std::string& p) {
  if (minimal.count("/")) return "/";
  for (auto cut = p.find('/', 1); cut != std::string::npos; cut = p.find('/', cut + 1))
    if (minimal.count(p.substr(0, cut))) return p.substr(0, cut);
  return p;
}

// "/pkg.Service/Method" -> the match; "" when the path is not a gRPC method path.
std::string grpc_match(const std::string& path) {
  const auto slash = path.find('/', 1);
  if (path.size() < 4 || path[0] != '/' || slash == std::string::npos || slash == 1 || slash + 1 == path.size() ||
      path.find_first_of("/?", slash + 1) != std::string::npos)
    return "";
  return "{method: {type: Exact, service: " + q(path.substr(1, slash - 1)) + ", method: " + q(path.substr(slash + 1)) +
         "}}";
}

void tcp_route(std::string& out, const std::string& ns, const std::string& network, std::uint16_t port,
               const Records& flows, Names& names, const std::string& why) {
  header(out, Stats::of(flows), "gateway.networking.k8s.io/v1alpha2", "TCPRoute",
         names.take("TCPRoute", network + "-tcp-" + std::to_string(port)), ns, why + ": the whole port is allowed");
  parent(out, network, port);
  out += "  rules:\n  - " + backend(network);
}

void tls_route(std::string& out, const std::string& ns, const std::string& network, std::uint16_t port,
               const Records& flows, const SuggestOptions& o, Names& names) {
  std::set<std::string> seen;
  for (const auto* r : flows) seen.insert(suggest_hostname(r->host));
  const auto named = wildcards(seen, o.wildcard_depth);
  Keyed by_name;
  for (const auto* r : flows) by_name[named.at(suggest_hostname(r->host))].push_back(r);
  for (const auto& c : chunks(by_name, kHostnamesPerRoute)) {
    header(out, Stats::of(c.flows), "gateway.networking.k8s.io/v1alpha2", "TLSRoute",
           names.take("TLSRoute", network + "-tls-" + std::to_string(port)), ns);
    parent(out, network, port);
    hostnames(out, c.keys);
    out += "  rules:\n  - " + backend(network);
  }
}

// The routes of one host (exact, wildcard, or "" for requests without a usable host): each flow keyed by the match
// that covers it ("" = a gRPC path that names no method: one rule without matches).
void host_routes(std::string& out, const std::string& ns, const std::string& network, std::uint16_t port,
                 const std::string& host, const Keyed& by_match, Names& names, bool grpc) {
  std::string slug = host.empty() ? "any-host" : host;
  if (slug.rfind("*.", 0) == 0) slug = "wildcard" + slug.substr(1);
  const char* kind = grpc ? "GRPCRoute" : "HTTPRoute";
  std::vector<Chunk> cs;
  if (by_match.count("")) {  // any method: one route without matches covers them all
    cs.emplace_back();
    for (const auto& [m, rs] : by_match) cs.back().flows.insert(cs.back().flows.end(), rs.begin(), rs.end());
  } else {
    cs = chunks(by_match, kMatchesPerRule * kRulesPerRoute);
  }
  for (const auto& c : cs) {
    header(out, Stats::of(c.flows), "gateway.networking.k8s.io/v1", kind,
           names.take(kind, network + (grpc ? "-grpc-" : "-http-") + std::to_string(port) + "-" + slug), ns,
           host.empty() ? "requests without a usable Host were seen: this route names no hostnames (any host)" : "");
    parent(out, network, port);
    if (!host.empty()) hostnames(out, {host});
    std::vector<std::string> matches;
    for (const auto& k : c.keys) matches.push_back(grpc ? k : "path: {type: PathPrefix, value: " + q(k) + "}");
    rules(out, matches, network);
  }
}

// HTTPRoutes or GRPCRoutes per hostname named: a rule cannot name a host, so per-host paths need a route each.
void per_host_routes(std::string& out, const std::string& ns, const std::string& network, std::uint16_t port,
                     const Records& flows, const SuggestOptions& o, Names& names, bool grpc) {
  std::set<std::string> seen;
  for (const auto* r : flows) seen.insert(suggest_hostname(r->host));
  const auto named = wildcards(seen, o.wildcard_depth);
  std::map<std::string, Records> by_host;
  for (const auto* r : flows) by_host[named.at(suggest_hostname(r->host))].push_back(r);
  for (const auto& [host, rs] : by_host) {
    Keyed by_match;
    if (grpc) {
      for (const auto* r : rs) by_match[grpc_match(r->path)].push_back(r);
    } else {
      std::set<std::string> ps;
      for (const auto* r : rs) ps.insert(suggest_path_prefix(r->path, o.path_depth));
      const auto minimal = minimal_prefixes(ps);
      for (const auto* r : rs) by_match[covering(minimal, suggest_path_prefix(r->path, o.path_depth))].push_back(r);
    }
    host_routes(out, ns, network, port, host, by_match, names, grpc);
  }
}

}  // namespace

void write_routes(std::string& out, const std::string& ns, const std::string& network, std::uint16_t port,
                  const Records& flows, const SuggestOptions& o, Names& names) {
  bool tls = false, http = false, grpc = false, other = false;
  for (const auto* r : flows) {
    // A ClientHello without a usable SNI matches no TLSRoute (the port's default decides it): only a TCPRoute
    // lets it through.
    if (r->protocol == "tls") (suggest_hostname(r->host).empty() ? other : tls) = true;
    else if (r->protocol == "http" || r->protocol == "http2") http = true;
    else if (r->protocol == "grpc") grpc = true;
    else other = true;
  }
  const auto& opaque = o.opaque_ports;
  if (std::find(opaque.begin(), opaque.end(), port) != opaque.end())
    tcp_route(out, ns, network, port, flows, names, "an opaque port (--opaque-ports) honours TCPRoutes only");
  else if (other || tls + http + grpc > 1)
    tcp_route(out, ns, network, port, flows, names,
              "flows not recognised as TLS (with SNI) or HTTP, or of several protocols, were seen");
  else if (tls) tls_route(out, ns, network, port, flows, o, names);
  else per_host_routes(out, ns, network, port, flows, o, names, grpc);
}

}  // namespace nfegress::policy::suggest_detail
