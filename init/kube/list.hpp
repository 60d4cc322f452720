// init/kube/list.hpp — layer: I/O (Kubernetes API reads). Lists the resources nfegress reads in the namespaces
// that matter: finds which version of each CRD the server serves (a 404 on every version = CRD not installed:
// skipped with one log line), pages through each list and keeps the list's resourceVersion for a later watch.
// Transient failures are retried a bounded number of times with exponential backoff (paging and retries:
// init/kube/stream). GET only.
#pragma once
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "init/kube/client.hpp"
#include "init/kube/objects.hpp"
#include "init/kube/stream.hpp"

namespace nfegress::kube {

// What one list of every scope returned.
struct Snapshot {
  std::vector<Scope> scopes;                   // one per served type and namespace
  std::vector<std::string> resource_versions;  // parallel to scopes: where a watch starts
  ObjectMap objects;
};

// The collection of one scope (path; describe() for messages).
Collection collection_of(const Scope& scope);

// All pages of one scope into `objects`; `resource_version` is the list's. One try, no retries.
ListStatus list_scope(Client& client, const Scope& scope, ObjectMap& objects, std::string& resource_version,
                      Error& error);

// list_scope with retries of transient failures; sleeps are cut short by client.stop().
ListStatus list_scope_retrying(Client& client, const Scope& scope, const RetryPolicy& retry, ObjectMap& objects,
                               std::string& resource_version, Error& error);

// Every resource type in every namespace of `namespaces` ("" = all namespaces: one cluster-wide list per type).
// False (error set) when the API could not be read after the retries.
bool list_all(Client& client, const std::vector<std::string>& namespaces, const RetryPolicy& retry, const Log& log,
              Snapshot& out, std::string& error);

}  // namespace nfegress::kube
