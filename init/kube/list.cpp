// init/kube/list.cpp — layer: I/O (Kubernetes API reads). See list.hpp.
#include "init/kube/list.hpp"

#include <algorithm>
#include <thread>

namespace nfegress::kube {

using nlohmann::json;

bool sleep_unless_stopped(const Client& client, std::chrono::milliseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (!client.stopped()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return true;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(until - now, std::chrono::milliseconds(50)));
  }
  return false;
}

std::string status_message(unsigned status, const std::string& body) {
  std::string msg;
  const auto j = json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("message") && j["message"].is_string()) msg = j["message"].get<std::string>();
  if (msg.empty()) msg = body.substr(0, 200);
  return "HTTP " + std::to_string(status) + (msg.empty() ? "" : ": " + msg);
}

ListStatus list_scope(Client& client, const Scope& scope, ObjectMap& objects, std::string& resource_version,
                      Error& error) {
  ObjectMap found;
  std::string cont;
  resource_version.clear();
  do {
    Response r;
    std::string target = scope.path() + "?limit=500";
    if (!cont.empty()) target += "&continue=" + url_encode(cont);
    if (!client.get(target, r, error)) {
      error.message = "list " + scope.describe() + ": " + error.message;
      return ListStatus::Failed;
    }
    if (r.status == 404) return ListStatus::NotFound;
    if (r.status != 200) {
      error.message = "list " + scope.describe() + ": " + status_message(r.status, r.body);
      if (r.status == 401 || r.status == 403) error.message += " (check the token and RBAC: get/list/watch)";
      return ListStatus::Failed;
    }
    auto page = json::parse(r.body, nullptr, false);
    if (!page.is_object() || !page.contains("items") || !(page["items"].is_array() || page["items"].is_null())) {
      error = {false, "list " + scope.describe() + ": response is not a list"};
      return ListStatus::Failed;
    }
    const auto& md = page["metadata"];
    cont.clear();
    if (md.is_object()) {
      if (resource_version.empty() && md.contains("resourceVersion") && md["resourceVersion"].is_string())
        resource_version = md["resourceVersion"].get<std::string>();
      if (md.contains("continue") && md["continue"].is_string()) cont = md["continue"].get<std::string>();
    }
    if (page["items"].is_array())
      for (auto& item : page["items"]) put_object(found, scope, std::move(item));
  } while (!cont.empty());
  replace_scope(objects, scope, std::move(found));
  return ListStatus::Ok;
}

ListStatus list_scope_retrying(Client& client, const Scope& scope, const RetryPolicy& retry, ObjectMap& objects,
                               std::string& resource_version, Error& error) {
  auto backoff = retry.first;
  for (int attempt = 1;; ++attempt) {
    const auto st = list_scope(client, scope, objects, resource_version, error);
    if (st != ListStatus::Failed || !error.transient || attempt >= retry.attempts) {
      if (st == ListStatus::Failed && error.transient)
        error.message += " (gave up after " + std::to_string(attempt) + " attempts)";
      return st;
    }
    if (!sleep_unless_stopped(client, backoff)) return ListStatus::Failed;
    backoff = std::min(backoff * 2, retry.max);
  }
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
