// policy/model.hpp — layer: pure model. The resources nfegress reads (EgressNetwork and the Gateway API /
// Linkerd routes attached to it), as plain values. Loaders fill it; validation and the compiler read it.
// Nothing here does I/O. Field names follow the Kubernetes objects; see docs/policy-reference.md.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "policy/diagnostic.hpp"
#include "policy/field_locs.hpp"
#include "policy/ip.hpp"

namespace nfegress::policy {

struct ObjectMeta {
  std::string name;
  std::string ns;                              // metadata.namespace, defaulted by the loader
  std::optional<std::int64_t> creation;        // creationTimestamp, seconds since the epoch
  std::uint64_t input_order = 0;               // position in the input; earlier = older when no timestamp
  std::map<std::string, std::string> annotations;
  SourceLoc loc;                               // where the resource starts
  FieldLocs field_locs;                        // "spec.networks[0].cidr" -> line/column in loc.file (diagnostics)
  friend bool operator==(const ObjectMeta&, const ObjectMeta&) = default;
};

enum class TrafficPolicy { Allow, Deny };

// nfegress's own annotation on an EgressNetwork: "audit" (report-only: what it would deny is let through and
// recorded) or "enforce" (the default). Any other value is a validation error.
inline constexpr const char* kModeAnnotation = "nfegress.io/mode";
inline constexpr const char* kModeAudit = "audit";
inline constexpr const char* kModeEnforce = "enforce";

struct Network {
  std::string cidr_text;             // as written, for messages
  IpPrefix cidr;
  std::vector<std::string> except_text;
  std::vector<IpPrefix> except;
  friend bool operator==(const Network&, const Network&) = default;
};

struct EgressNetwork {
  ObjectMeta meta;
  TrafficPolicy traffic_policy = TrafficPolicy::Deny;
  std::string traffic_policy_text;               // as written ("" = absent); validate() checks Allow/Deny
  std::optional<std::vector<Network>> networks;  // nullopt = field absent (0.0.0.0/0 and ::/0 minus cluster nets)
  friend bool operator==(const EgressNetwork&, const EgressNetwork&) = default;
};

// Route kinds in conflict precedence order (lower value wins a port).
enum class RouteKind { GRPC = 0, HTTP = 1, TLS = 2, TCP = 3 };
const char* route_kind_name(RouteKind k);  // "GRPCRoute", "HTTPRoute", "TLSRoute", "TCPRoute"

struct ParentRef {
  std::string group;  // as written (compare case-insensitively)
  std::string kind;
  std::string name;
  std::optional<std::string> ns;
  std::optional<std::uint16_t> port;
  std::optional<std::string> section_name;
  friend bool operator==(const ParentRef&, const ParentRef&) = default;
};

struct BackendRef {
  std::string group;  // "" = core (Service)
  std::string kind;   // "" = Service
  std::string name;
  std::optional<std::string> ns;
  std::optional<std::uint16_t> port;
  friend bool operator==(const BackendRef&, const BackendRef&) = default;
};

enum class StringMatchType { Exact, PathPrefix, RegularExpression };

struct PathMatch {
  StringMatchType type = StringMatchType::PathPrefix;
  std::string value = "/";
  friend bool operator==(const PathMatch&, const PathMatch&) = default;
};

struct HeaderMatch {  // also used for query params
  StringMatchType type = StringMatchType::Exact;  // Exact or RegularExpression
  std::string name;
  std::string value;
  friend bool operator==(const HeaderMatch&, const HeaderMatch&) = default;
};

struct HttpRouteMatch {
  std::optional<PathMatch> path;
  std::vector<HeaderMatch> headers;
  std::vector<HeaderMatch> query_params;
  std::optional<std::string> method;
  friend bool operator==(const HttpRouteMatch&, const HttpRouteMatch&) = default;
};

struct GrpcMethodMatch {
  StringMatchType type = StringMatchType::Exact;  // Exact or RegularExpression
  std::optional<std::string> service;
  std::optional<std::string> method;
  friend bool operator==(const GrpcMethodMatch&, const GrpcMethodMatch&) = default;
};

struct GrpcRouteMatch {
  std::optional<GrpcMethodMatch> method;
  std::vector<HeaderMatch> headers;
  friend bool operator==(const GrpcRouteMatch&, const GrpcRouteMatch&) = default;
};

struct Filter {
  std::string type;  // "RequestHeaderModifier", "RequestMirror", "URLRewrite", "ExtensionRef", ...
  friend bool operator==(const Filter&, const Filter&) = default;
};

struct RouteRule {
  std::vector<HttpRouteMatch> http_matches;  // HTTPRoute
  std::vector<GrpcRouteMatch> grpc_matches;  // GRPCRoute
  std::vector<BackendRef> backends;
  std::vector<Filter> filters;
  friend bool operator==(const RouteRule&, const RouteRule&) = default;
};

struct Route {
  ObjectMeta meta;
  RouteKind kind = RouteKind::HTTP;
  std::string api_group;    // "gateway.networking.k8s.io" or "policy.linkerd.io"
  std::string api_version;  // "v1", "v1beta3", ...
  std::vector<ParentRef> parents;
  std::vector<std::string> hostnames;  // HTTP/GRPC/TLS; lowercased by the loader
  std::vector<RouteRule> rules;
  friend bool operator==(const Route&, const Route&) = default;
};

struct ResourceSet {
  std::vector<EgressNetwork> networks;
  std::vector<Route> routes;
  friend bool operator==(const ResourceSet&, const ResourceSet&) = default;
};

// creationTimestamp ordering: true when `a` was created before `b`. A missing timestamp counts as the oldest;
// two missing timestamps are equal. EgressNetwork ties use only this, then namespace, then name (Linkerd's
// policy controller, compare_matched_egress_network): input order never picks an EgressNetwork.
bool created_before(const ObjectMeta& a, const ObjectMeta& b);

// Route age for route tie-breaks: created_before, and between two missing (or equal) timestamps the input order
// (read earlier = older).
bool older_than(const ObjectMeta& a, const ObjectMeta& b);

}  // namespace nfegress::policy
