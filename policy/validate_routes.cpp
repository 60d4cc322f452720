// policy/validate_routes.cpp — layer: pure decision. Route checks: EgressNetwork parentRefs need a port, TLS and
// TCP routes have exactly one rule, hostnames, paths, header names, methods and regular expressions are valid;
// warnings for what loads but will not behave as a user might think (Service and foreign backendRefs, filters,
// missing parents, conflicts between route kinds, HTTP/gRPC/TLS routes on opaque ports). No I/O.
#include <algorithm>
#include <regex>
#include <set>

#include "policy/validate_internal.hpp"

namespace nfegress::policy::detail {
namespace {

bool is_token(const std::string& s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    const bool ok = std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool known_method(const std::string& m) {
  for (const char* k : {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})
    if (m == k) return true;
  return false;
}

std::string parent_id(const ParentRef& p, const Route& r) { return p.ns.value_or(r.meta.ns) + "/" + p.name; }

void check_regex(Findings& f, const std::string& field, const std::string& pattern) {
  const auto problem = regex_problem(pattern);
  if (!problem.empty()) f.error(field, "invalid regular expression '" + pattern + "': " + problem);
}

void check_header_matches(Findings& f, const std::vector<HeaderMatch>& hs, const std::string& field, bool header) {
  for (std::size_t i = 0; i < hs.size(); ++i) {
    const std::string hf = field + "[" + std::to_string(i) + "]";
    if (!hs[i].name.empty() && !is_token(hs[i].name))
      f.error(hf + ".name", std::string("invalid ") + (header ? "header" : "query parameter") + " name '" +
                                hs[i].name + "'");
    if (hs[i].type == StringMatchType::RegularExpression) check_regex(f, hf + ".value", hs[i].value);
  }
}

void check_http_match(Findings& f, const HttpRouteMatch& m, const std::string& field) {
  if (m.path) {
    if (m.path->type == StringMatchType::RegularExpression)
      check_regex(f, field + ".path.value", m.path->value);
    else if (m.path->value.empty() || m.path->value[0] != '/')
      f.error(field + ".path.value", "path '" + m.path->value + "' must start with '/'");
  }
  check_header_matches(f, m.headers, field + ".headers", true);
  check_header_matches(f, m.query_params, field + ".queryParams", false);
  if (m.method && !known_method(*m.method))
    f.error(field + ".method", "unsupported method '" + *m.method +
                                   "' (GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE or PATCH)");
}

void check_grpc_match(Findings& f, const GrpcRouteMatch& m, const std::string& field) {
  if (m.method) {
    const std::string mf = field + ".method";
    if (!m.method->service && !m.method->method) f.error(mf, "one of service or method must be specified");
    if (m.method->type == StringMatchType::RegularExpression) {
      if (m.method->service) check_regex(f, mf + ".service", *m.method->service);
      if (m.method->method) check_regex(f, mf + ".method", *m.method->method);
    }
  }
  check_header_matches(f, m.headers, field + ".headers", true);
}

void check_filters(Findings& f, const RouteRule& rule, const std::string& field) {
  for (std::size_t i = 0; i < rule.filters.size(); ++i) {
    const auto& t = rule.filters[i].type;
    const std::string ff = field + ".filters[" + std::to_string(i) + "]";
    if (t == "RequestMirror" || t == "URLRewrite" || t == "ExtensionRef")
      f.warning(ff, "filter " + t + " makes Linkerd drop the whole route: its traffic falls to the "
                    "EgressNetwork's trafficPolicy");
    else if (t == "RequestHeaderModifier" || t == "ResponseHeaderModifier")
      f.warning(ff, "filter " + t + " is ignored: a transparent enforcer does not modify requests or responses");
    else if (t == "RequestRedirect")
      f.warning(ff, "filter RequestRedirect is ignored: a transparent enforcer does not answer with redirects");
    else if (!t.empty())
      f.warning(ff, "unknown filter type '" + t + "' is ignored");
  }
}

void check_backends(Findings& f, const Route& r, const RouteRule& rule, const std::string& field,
                    const std::vector<std::string>& parents) {
  for (std::size_t i = 0; i < rule.backends.size(); ++i) {
    const auto& b = rule.backends[i];
    const std::string bf = field + ".backendRefs[" + std::to_string(i) + "]";
    const std::string group = lower(b.group), kind = lower(b.kind);
    const std::string id = b.ns.value_or(r.meta.ns) + "/" + b.name;
    if ((group.empty() || group == "core") && (kind.empty() || kind == "service")) {
      f.warning(bf, "backendRef to Service " + id + " is not honoured: a transparent enforcer cannot redirect a "
                    "connection, so traffic matching this rule is denied");
    } else if (group == "policy.linkerd.io" && kind == "egressnetwork") {
      for (const auto& p : parents) {
        if (p == id) continue;
        auto& d = f.warning(bf, "backendRef to EgressNetwork " + id + " is not the parent EgressNetwork " + p +
                                    ": invalid, traffic matching this rule is denied");
        d.condition = "ResolvedRefs";
        d.reason = "InvalidKind";
        break;
      }
    } else {
      auto& d = f.warning(bf, "backendRef of unsupported kind '" + (b.group.empty() ? "" : b.group + "/") + b.kind +
                                  "': invalid, traffic matching this rule is denied");
      d.condition = "ResolvedRefs";
      d.reason = "InvalidKind";
    }
  }
}

struct Attachment {
  const Route* route;
  std::size_t parent;  // index into route->parents
};

// Per (EgressNetwork, port), GRPCRoute > HTTPRoute > TLSRoute > TCPRoute; lower kinds are ignored.
// HTTP/gRPC/TLS routes on opaque ports are ignored too.
void check_ports(const ResourceSet& rs, const NetworkIndex& networks, const ValidateOptions& options,
                 Diagnostics& out) {
  std::map<std::tuple<std::string, std::string, std::uint16_t>, std::vector<Attachment>> by_port;
  for (const auto& r : rs.routes)
    for (std::size_t i = 0; i < r.parents.size(); ++i) {
      const auto& p = r.parents[i];
      if (is_egress_parent(p) && p.port) by_port[{p.ns.value_or(r.meta.ns), p.name, *p.port}].push_back({&r, i});
    }
  for (const auto& [key, list] : by_port) {
    const auto& [ns, name, port] = key;
    const Route* best = nullptr;
    for (const auto& a : list)
      if (!best || a.route->kind < best->kind ||
          (a.route->kind == best->kind && a.route->meta.name < best->meta.name))
        best = a.route;
    const auto en = networks.find({ns, name});
    std::vector<std::uint16_t> opaque =
        en != networks.end() ? opaque_ports(*en->second, options) : options.default_opaque_ports;
    const bool is_opaque = std::find(opaque.begin(), opaque.end(), port) != opaque.end();
    for (const auto& a : list) {
      const Route& r = *a.route;
      Findings f(out, r.meta, route_kind_name(r.kind));
      const std::string field = "spec.parentRefs[" + std::to_string(a.parent) + "].port";
      const std::string where = "EgressNetwork " + ns + "/" + name + " port " + std::to_string(port);
      if (is_opaque && r.kind != RouteKind::TCP) {
        f.warning(field, std::string("port ") + std::to_string(port) + " is opaque on EgressNetwork " + ns + "/" +
                             name + ": " + route_kind_name(r.kind) + "s are ignored there, only TCPRoutes apply");
      } else if (!is_opaque && r.kind > best->kind) {
        auto& d = f.warning(field, std::string("ignored: ") + route_kind_name(best->kind) + " " + best->meta.ns +
                                       "/" + best->meta.name + " on the same " + where +
                                       " takes precedence (RouteReasonConflicted)");
        d.condition = "Accepted";
        d.reason = "RouteReasonConflicted";
      }
    }
  }
}

void check_route(const Route& r, const NetworkIndex& networks, Diagnostics& out) {
  const char* kind = route_kind_name(r.kind);
  Findings f(out, r.meta, kind);
  std::vector<std::string> parents;
  for (std::size_t i = 0; i < r.parents.size(); ++i) {
    const auto& p = r.parents[i];
    if (!is_egress_parent(p)) continue;
    const std::string pf = "spec.parentRefs[" + std::to_string(i) + "]";
    const std::string id = parent_id(p, r);
    parents.push_back(id);
    if (!p.port) f.error(pf, "cannot target an EgressNetwork without specifying a port");
    if (!p.name.empty() && !networks.count({p.ns.value_or(r.meta.ns), p.name})) {
      auto& d = f.warning(pf, "parent EgressNetwork " + id + " is not in the input: the route attaches to nothing");
      d.condition = "Accepted";
      d.reason = "NoMatchingParent";
    }
  }
  const bool attached = !parents.empty();
  if (attached && (r.kind == RouteKind::TLS || r.kind == RouteKind::TCP) && r.rules.size() != 1)
    f.error("spec.rules", std::string("a ") + kind + " must have exactly one rule, but " +
                              std::to_string(r.rules.size()) + " were provided");
  for (std::size_t i = 0; i < r.hostnames.size(); ++i)
    if (!valid_hostname(r.hostnames[i]))
      f.error("spec.hostnames[" + std::to_string(i) + "]",
              "invalid hostname '" + r.hostnames[i] + "': must be a DNS name, or '*.' followed by one");
  for (std::size_t k = 0; k < r.rules.size(); ++k) {
    const auto& rule = r.rules[k];
    const std::string rf = "spec.rules[" + std::to_string(k) + "]";
    for (std::size_t j = 0; j < rule.http_matches.size(); ++j)
      check_http_match(f, rule.http_matches[j], rf + ".matches[" + std::to_string(j) + "]");
    for (std::size_t j = 0; j < rule.grpc_matches.size(); ++j)
      check_grpc_match(f, rule.grpc_matches[j], rf + ".matches[" + std::to_string(j) + "]");
    if (!attached) continue;
    check_filters(f, rule, rf);
    check_backends(f, r, rule, rf, parents);
  }
}

// Counts `{n}` / `{n,m}` quantifiers: libstdc++ expands each into n copies of the state machine.
bool repetition_too_large(const std::string& p) {
  unsigned long long product = 1;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '\\') {
      ++i;
      continue;
    }
    if (p[i] != '{') continue;
    unsigned long long n = 0, best = 0;
    for (std::size_t k = i + 1; k < p.size() && p[k] != '}'; ++k) {
      if (p[k] >= '0' && p[k] <= '9') {
        n = std::min<unsigned long long>(n * 10 + static_cast<unsigned>(p[k] - '0'), 1'000'000);
      } else {
        best = std::max(best, n);
        n = 0;
      }
    }
    best = std::max(best, n);
    product *= std::max<unsigned long long>(best, 1);
    if (product > 1000) return true;
  }
  return false;
}

}  // namespace

std::string regex_problem(const std::string& pattern) {
  // std::regex compiles and matches recursively; bound the pattern so neither can exhaust the stack or memory.
  if (pattern.size() > 1024) return "longer than 1024 characters";
  int depth = 0;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\') ++i;
    else if (pattern[i] == '(' && ++depth > 16) return "groups nested deeper than 16";
    else if (pattern[i] == ')' && depth > 0) --depth;
  }
  if (repetition_too_large(pattern)) return "repetition counts too large";
  try {
    std::regex re(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return e.what();
  }
  return {};
}

void validate_routes(const ResourceSet& rs, const NetworkIndex& networks, const ValidateOptions& options,
                     Diagnostics& out) {
  for (const auto& r : rs.routes) check_route(r, networks, out);
  check_ports(rs, networks, options, out);
}

}  // namespace nfegress::policy::detail
