// init/kube/objects.cpp — layer: input (pure). See objects.hpp.
#include "init/kube/objects.hpp"

#include <iterator>

namespace nfegress::kube {

const std::vector<ResourceType>& resource_types() {
  static const std::vector<ResourceType> kTypes = {
      {"EgressNetwork", "policy.linkerd.io", "egressnetworks", {"v1alpha1"}},
      {"HTTPRoute", "gateway.networking.k8s.io", "httproutes", {"v1", "v1beta1"}},
      {"HTTPRoute", "policy.linkerd.io", "httproutes", {"v1beta3", "v1beta2", "v1beta1"}},
      {"GRPCRoute", "gateway.networking.k8s.io", "grpcroutes", {"v1", "v1alpha2"}},
      {"TLSRoute", "gateway.networking.k8s.io", "tlsroutes", {"v1alpha2"}},
      {"TCPRoute", "gateway.networking.k8s.io", "tcproutes", {"v1alpha2"}},
  };
  return kTypes;
}

std::string Scope::path() const {
  const auto& t = resource_types()[type];
  return "/apis/" + t.group + "/" + version + (ns.empty() ? "" : "/namespaces/" + ns) + "/" + t.plural;
}

std::string Scope::describe() const {
  const auto& t = resource_types()[type];
  return t.kind + "." + t.group + "/" + version + (ns.empty() ? " in all namespaces" : " in namespace " + ns);
}

ObjectKey key_of(const Scope& scope, const nlohmann::json& object) {
  ObjectKey k{scope.type, scope.ns, {}};
  const auto md = object.find("metadata");
  if (md != object.end() && md->is_object()) {
    if (auto n = md->find("name"); n != md->end() && n->is_string()) k.name = n->get<std::string>();
    if (auto n = md->find("namespace"); n != md->end() && n->is_string()) k.ns = n->get<std::string>();
  }
  return k;
}

bool put_object(ObjectMap& objects, const Scope& scope, nlohmann::json object) {
  if (!object.is_object()) return false;
  const auto key = key_of(scope, object);
  if (key.name.empty()) return false;
  const auto& t = resource_types()[scope.type];
  if (!object.contains("kind")) object["kind"] = t.kind;
  if (!object.contains("apiVersion")) object["apiVersion"] = t.group + "/" + scope.version;
  object.erase("status");
  if (auto md = object.find("metadata"); md != object.end() && md->is_object()) md->erase("managedFields");
  objects[key] = std::move(object);
  return true;
}

bool replace_scope(ObjectMap& objects, const Scope& scope, ObjectMap found) {
  ObjectMap old;
  for (auto it = objects.begin(); it != objects.end();) {
    if (it->first.type == scope.type && scope.holds(it->first.ns)) {
      old.insert(objects.extract(it++));
    } else {
      ++it;
    }
  }
  const bool changed = old != found;
  objects.merge(found);
  return changed;
}

policy::LoadResult to_load_result(const ObjectMap& objects, const policy::LoadOptions& options) {
  policy::LoadResult out;
  std::uint64_t order = 0;
  auto set_order = [&](policy::ObjectMeta& m) { m.input_order = order++; };
  for (const auto& [key, object] : objects) {
    const std::string name = "kube:" + key.ns + "/" + resource_types()[key.type].kind + "/" + key.name;
    auto one = policy::load_buffer(name, object.dump(2), options);
    for (auto& en : one.resources.networks) set_order(en.meta);
    for (auto& r : one.resources.routes) set_order(r.meta);
    auto move_all = [](auto& from, auto& to) {
      to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
    };
    move_all(one.resources.networks, out.resources.networks);
    move_all(one.resources.routes, out.resources.routes);
    move_all(one.diagnostics, out.diagnostics);
    move_all(one.skipped, out.skipped);
    move_all(one.files, out.files);
  }
  policy::finish_load(out, options);
  return out;
}

}  // namespace nfegress::kube
