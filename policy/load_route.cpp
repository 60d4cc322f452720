// policy/load_route.cpp — layer: input. The spec of HTTPRoute, GRPCRoute, TLSRoute and TCPRoute -> Route:
// parentRefs, hostnames (lowercased), rules with matches, backendRefs and filters. Only wrong YAML types and
// values the model cannot hold (unknown match types, bad ports) are reported here; validate() does the rest.
#include <algorithm>
#include <cctype>

#include "policy/load_internal.hpp"

namespace nfegress::policy::detail {
namespace {

// Calls fn(item, field) for every item of the list at map[key], with type checks and locations recorded.
template <class Fn>
void each(Reader& r, std::uint32_t map, std::string_view key, const std::string& parent, Fn&& fn) {
  const auto list = r.child(map, key);
  if (!list) return;
  const std::string field = join(parent, key);
  r.record(field, *list);
  if (!r.is_seq(*list, field)) return;
  for (std::uint32_t i = 0; i < r.size(*list); ++i) {
    const auto item = r.item(*list, i);
    const std::string f = index(field, i);
    r.record(f, item);
    fn(item, f);
  }
}

std::optional<StringMatchType> match_type(Reader& r, std::uint32_t map, const std::string& parent, bool path,
                                          StringMatchType dflt) {
  std::string t;
  if (!r.str(map, "type", parent, t)) return r.child(map, "type") ? std::nullopt : std::optional(dflt);
  if (t == "Exact") return StringMatchType::Exact;
  if (t == "RegularExpression") return StringMatchType::RegularExpression;
  if (path && t == "PathPrefix") return StringMatchType::PathPrefix;
  r.error(*r.child(map, "type"), join(parent, "type"),
          "unknown match type '" + t + (path ? "' (Exact, PathPrefix or RegularExpression)" : "' (Exact or RegularExpression)"));
  return std::nullopt;
}

void read_header_matches(Reader& r, std::uint32_t map, std::string_view key, const std::string& parent,
                         std::vector<HeaderMatch>& out) {
  each(r, map, key, parent, [&](std::uint32_t item, const std::string& f) {
    if (!r.is_map(item, f)) return;
    HeaderMatch h;
    const auto t = match_type(r, item, f, false, StringMatchType::Exact);
    if (!t) return;
    h.type = *t;
    if (!r.str(item, "name", f, h.name) && !r.child(item, "name")) r.error(item, join(f, "name"), "required");
    if (!r.str(item, "value", f, h.value) && !r.child(item, "value")) r.error(item, join(f, "value"), "required");
    out.push_back(std::move(h));
  });
}

void read_http_match(Reader& r, std::uint32_t m, const std::string& f, HttpRouteMatch& out) {
  if (const auto p = r.child(m, "path")) {
    const std::string pf = join(f, "path");
    r.record(pf, *p);
    if (r.is_map(*p, pf)) {
      PathMatch pm;
      if (const auto t = match_type(r, *p, pf, true, StringMatchType::PathPrefix)) {
        pm.type = *t;
        r.str(*p, "value", pf, pm.value);
        out.path = std::move(pm);
      }
    }
  }
  read_header_matches(r, m, "headers", f, out.headers);
  read_header_matches(r, m, "queryParams", f, out.query_params);
  r.str(m, "method", f, out.method);
}

void read_grpc_match(Reader& r, std::uint32_t m, const std::string& f, GrpcRouteMatch& out) {
  if (const auto p = r.child(m, "method")) {
    const std::string mf = join(f, "method");
    r.record(mf, *p);
    if (r.is_map(*p, mf)) {
      GrpcMethodMatch gm;
      if (const auto t = match_type(r, *p, mf, false, StringMatchType::Exact)) {
        gm.type = *t;
        r.str(*p, "service", mf, gm.service);
        r.str(*p, "method", mf, gm.method);
        out.method = std::move(gm);
      }
    }
  }
  read_header_matches(r, m, "headers", f, out.headers);
}

void read_backend(Reader& r, std::uint32_t b, const std::string& f, BackendRef& out) {
  r.str(b, "group", f, out.group);
  r.str(b, "kind", f, out.kind);
  if (!r.str(b, "name", f, out.name) && !r.child(b, "name")) r.error(b, join(f, "name"), "required");
  r.str(b, "namespace", f, out.ns);
  r.port(b, "port", f, out.port);
}

void read_rule(Reader& r, std::uint32_t rule, const std::string& f, RouteKind kind, RouteRule& out) {
  if (kind == RouteKind::HTTP) {
    each(r, rule, "matches", f, [&](std::uint32_t m, const std::string& mf) {
      if (!r.is_map(m, mf)) return;
      HttpRouteMatch hm;
      read_http_match(r, m, mf, hm);
      out.http_matches.push_back(std::move(hm));
    });
  } else if (kind == RouteKind::GRPC) {
    each(r, rule, "matches", f, [&](std::uint32_t m, const std::string& mf) {
      if (!r.is_map(m, mf)) return;
      GrpcRouteMatch gm;
      read_grpc_match(r, m, mf, gm);
      out.grpc_matches.push_back(std::move(gm));
    });
  }
  each(r, rule, "backendRefs", f, [&](std::uint32_t b, const std::string& bf) {
    if (!r.is_map(b, bf)) return;
    BackendRef ref;
    read_backend(r, b, bf, ref);
    out.backends.push_back(std::move(ref));
  });
  each(r, rule, "filters", f, [&](std::uint32_t x, const std::string& xf) {
    if (!r.is_map(x, xf)) return;
    Filter filter;
    if (!r.str(x, "type", xf, filter.type) && !r.child(x, "type")) r.error(x, join(xf, "type"), "required");
    out.filters.push_back(std::move(filter));
  });
}

}  // namespace

void read_route_spec(Reader& r, std::uint32_t spec, Route& route) {
  each(r, spec, "parentRefs", "spec", [&](std::uint32_t p, const std::string& f) {
    if (!r.is_map(p, f)) return;
    ParentRef ref;
    r.str(p, "group", f, ref.group);
    r.str(p, "kind", f, ref.kind);
    if (!r.str(p, "name", f, ref.name) && !r.child(p, "name")) r.error(p, join(f, "name"), "required");
    r.str(p, "namespace", f, ref.ns);
    r.port(p, "port", f, ref.port);
    r.str(p, "sectionName", f, ref.section_name);
    route.parents.push_back(std::move(ref));
  });
  if (route.kind != RouteKind::TCP) {
    each(r, spec, "hostnames", "spec", [&](std::uint32_t h, const std::string& f) {
      std::string name;
      if (!r.str_node(h, f, name)) return;
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      route.hostnames.push_back(std::move(name));
    });
  }
  each(r, spec, "rules", "spec", [&](std::uint32_t rule, const std::string& f) {
    if (!r.is_map(rule, f)) return;
    RouteRule rr;
    read_rule(r, rule, f, route.kind, rr);
    route.rules.push_back(std::move(rr));
  });
}

}  // namespace nfegress::policy::detail
