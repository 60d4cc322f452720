// tests/policy/semantics_fixtures.hpp — test helpers: build ResourceSets in C++ (no loader needed).
#pragma once
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "policy/model.hpp"

namespace nfegress::policy::testing {

inline IpAddr ip(const std::string& s) { return *parse_ip(s); }
inline IpPrefix pfx(const std::string& s) { return *parse_prefix(s); }

inline Network net(const std::string& cidr, std::vector<std::string> except = {}) {
  Network n;
  n.cidr_text = cidr;
  n.cidr = pfx(cidr);
  for (const auto& e : except) {
    n.except_text.push_back(e);
    n.except.push_back(pfx(e));
  }
  return n;
}

class Resources {
 public:
  ResourceSet rs;

  EgressNetwork& egress(const std::string& ns, const std::string& name, TrafficPolicy tp,
                        std::optional<std::vector<Network>> networks = std::nullopt,
                        std::optional<std::int64_t> creation = std::nullopt) {
    EgressNetwork en;
    en.meta.ns = ns;
    en.meta.name = name;
    en.meta.creation = creation;
    en.meta.input_order = order_++;
    en.traffic_policy = tp;
    en.networks = std::move(networks);
    rs.networks.push_back(std::move(en));
    return rs.networks.back();
  }

  // A route with one parentRef to EgressNetwork `parent` ("ns/name" or "name" = route's namespace) on `port`.
  Route& route(RouteKind kind, const std::string& ns, const std::string& name, const std::string& parent,
               std::optional<std::uint16_t> port, std::vector<std::string> hostnames = {},
               std::vector<RouteRule> rules = {RouteRule{}}, std::optional<std::int64_t> creation = std::nullopt) {
    Route r;
    r.meta.ns = ns;
    r.meta.name = name;
    r.meta.creation = creation;
    r.meta.input_order = order_++;
    r.kind = kind;
    r.api_group = "gateway.networking.k8s.io";
    ParentRef p;
    p.group = "policy.linkerd.io";
    p.kind = "EgressNetwork";
    const auto slash = parent.find('/');
    if (slash != std::string::npos) {
      p.ns = parent.substr(0, slash);
      p.name = parent.substr(slash + 1);
    } else {
      p.name = parent;
    }
    p.port = port;
    r.parents.push_back(p);
    r.hostnames = std::move(hostnames);
    r.rules = std::move(rules);
    rs.routes.push_back(std::move(r));
    return rs.routes.back();
  }

 private:
  std::uint64_t order_ = 0;
};

inline HttpRouteMatch path_exact(const std::string& p) {
  HttpRouteMatch m;
  m.path = PathMatch{StringMatchType::Exact, p};
  return m;
}
inline HttpRouteMatch path_prefix(const std::string& p) {
  HttpRouteMatch m;
  m.path = PathMatch{StringMatchType::PathPrefix, p};
  return m;
}
inline HttpRouteMatch path_regex(const std::string& p) {
  HttpRouteMatch m;
  m.path = PathMatch{StringMatchType::RegularExpression, p};
  return m;
}
inline RouteRule http_rule(std::vector<HttpRouteMatch> matches, std::vector<BackendRef> backends = {}) {
  RouteRule r;
  r.http_matches = std::move(matches);
  r.backends = std::move(backends);
  return r;
}
inline BackendRef service_backend(const std::string& name) {
  BackendRef b;
  b.name = name;
  b.port = 80;
  return b;
}
inline BackendRef egress_backend(const std::string& name, std::optional<std::string> ns = std::nullopt) {
  BackendRef b;
  b.group = "policy.linkerd.io";
  b.kind = "EgressNetwork";
  b.name = name;
  b.ns = std::move(ns);
  return b;
}
inline RouteRule backends_rule(std::vector<BackendRef> backends) {
  RouteRule r;
  r.backends = std::move(backends);
  return r;
}

}  // namespace nfegress::policy::testing
