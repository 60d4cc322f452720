// init/kube/list.cpp — layer: I/O (Kubernetes API reads). See list.hpp.
#include "init/kube/list.hpp"

namespace nfegress::kube {

using nlohmann::json;

Collection collection_of(const Scope& scope) { return {scope.path(), "", scope.describe()}; }

ListStatus list_scope(Client& client, const Scope& scope, ObjectMap& objects, std::string& resource_version,
                      Error& error) {
  std::vector<json> items;
  const auto st = list_items(client, collection_of(scope), items, resource_version, error);
  if (st != ListStatus::Ok) return st;
  ObjectMap found;
  for (auto& item : items) put_object(found, scope, std::move(item));
  replace_scope(objects, scope, std::move(found));
  return ListStatus::Ok;
}

ListStatus list_scope_retrying(Client& client, const Scope& scope, const RetryPolicy& retry, ObjectMap& objects,
                               std::string& resource_version, Error& error) {
  return with_retries(client, retry,
                      [&](Error& e) { return list_scope(client, scope, objects, resource_version, e); }, error);
}

bool list_all(Client& client, const std::vector<std::string>& namespaces, const RetryPolicy& retry, const Log& log,
              Snapshot& out, std::string& error) {
  out = Snapshot{};
  const auto& types = resource_types();
  for (std::size_t t = 0; t < types.size(); ++t) {
    bool served = false;
    for (const auto& version : types[t].versions) {
      for (const auto& ns : namespaces) {
        Scope scope{t, version, ns};
        std::string rv;
        Error err;
        const auto st = list_scope_retrying(client, scope, retry, out.objects, rv, err);
        if (st == ListStatus::Failed) {
          error = err.message + " from " + client.config().server() + " (" + client.config().origin + ")";
          return false;
        }
        if (st == ListStatus::NotFound) break;  // this version is not served: try the next one
        served = true;
        out.scopes.push_back(std::move(scope));
        out.resource_versions.push_back(std::move(rv));
      }
      if (served) break;
    }
    if (!served && log) {
      std::string tried;
      for (const auto& v : types[t].versions) tried += (tried.empty() ? "" : ", ") + v;
      log("kube: " + types[t].kind + "." + types[t].group + " is not served (CRD not installed; tried " + tried +
          "): skipped");
    }
  }
  return true;
}

}  // namespace nfegress::kube
