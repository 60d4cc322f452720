// init/kube/objects.hpp — layer: input (pure). The API resources nfegress reads, their URL paths, and the
// conversion of a set of API objects (JSON) into a validated policy::LoadResult through the manifest loader, so
// API objects and manifest files are checked by one code path. Locations read `kube:NAMESPACE/KIND/NAME:LINE`
// (lines of the object printed as indented JSON). No I/O.
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "policy/load.hpp"

namespace nfegress::kube {

// One API resource (a CRD), with the versions nfegress understands, preferred first. Listing one version of a
// CRD returns every object of it, so only the first version the server serves is used.
struct ResourceType {
  std::string kind;      // "HTTPRoute"
  std::string group;     // "gateway.networking.k8s.io"
  std::string plural;    // "httproutes"
  std::vector<std::string> versions;
};

// EgressNetwork, HTTPRoute (both groups), GRPCRoute, TLSRoute, TCPRoute; see docs/operations.md.
const std::vector<ResourceType>& resource_types();

// One list/watch stream: a resource type at the version the server serves, in one namespace or (ns empty: node
// mode) in all of them.
struct Scope {
  std::size_t type = 0;  // index into resource_types()
  std::string version;
  std::string ns;        // "" = every namespace (one cluster-wide list and watch per type)

  std::string path() const;  // "/apis/GROUP/VERSION/namespaces/NS/PLURAL", "/apis/GROUP/VERSION/PLURAL" for all
  std::string describe() const;  // "HTTPRoute.gateway.networking.k8s.io/v1 in namespace NS" / "in all namespaces"
  bool holds(const std::string& object_ns) const { return ns.empty() || ns == object_ns; }
};

struct ObjectKey {
  std::size_t type = 0;
  std::string ns;
  std::string name;
  auto operator<=>(const ObjectKey&) const = default;
};

// The current objects, keyed deterministically (type, namespace, name).
using ObjectMap = std::map<ObjectKey, nlohmann::json>;

// Stores an API object of `scope` under its metadata.namespace (sets kind/apiVersion when the list left them out, drops managedFields and
// status). Returns false when it has no metadata.name.
bool put_object(ObjectMap& objects, const Scope& scope, nlohmann::json object);
ObjectKey key_of(const Scope& scope, const nlohmann::json& object);
// Replaces every object of `scope` (its type, in its namespace or in all) in `objects` with `found` (the result
// of a fresh list). True when that changed anything.
bool replace_scope(ObjectMap& objects, const Scope& scope, ObjectMap found);

// Loads every object through policy::load_buffer, then validates the whole set (as load_paths does).
policy::LoadResult to_load_result(const ObjectMap& objects, const policy::LoadOptions& options);

}  // namespace nfegress::kube
