// init/kube/list.hpp — layer: I/O (Kubernetes API reads). Lists the resources nfegress reads in the namespaces
// that matter: finds which version of each CRD the server serves (a 404 on every version = CRD not installed:
// skipped with one log line), pages through each list and keeps the list's resourceVersion for a later watch.
// Transient failures are retried a bounded number of times with exponential backoff. GET only.
#pragma once
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "init/kube/client.hpp"
#include "init/kube/objects.hpp"

namespace nfegress::kube {

struct RetryPolicy {
  int attempts = 6;                          // per request, first try included
  std::chrono::milliseconds first{250};      // backoff doubles from here...
  std::chrono::milliseconds max{4000};       // ...up to this
};

using Log = std::function<void(const std::string&)>;

// What one list of every scope returned.
struct Snapshot {
  std::vector<Scope> scopes;                   // one per served type and namespace
  std::vector<std::string> resource_versions;  // parallel to scopes: where a watch starts
  ObjectMap objects;
};

enum class ListStatus { Ok, NotFound, Failed };

// All pages of one scope into `objects`; `resource_version` is the list's. One try, no retries.
ListStatus list_scope(Client& client, const Scope& scope, ObjectMap& objects, std::string& resource_version,
                      Error& error);

// list_scope with retries of transient failures; sleeps are cut short by client.stop().
ListStatus list_scope_retrying(Client& client, const Scope& scope, const RetryPolicy& retry, ObjectMap& objects,
                               std::string& resource_version, Error& error);

// Every resource type in every namespace. False (error set) when the API could not be read after the retries.
bool list_all(Client& client, const std::vector<std::string>& namespaces, const RetryPolicy& retry, const Log& log,
              Snapshot& out, std::string& error);

// Sleeps `d` unless the client is stopped first (polls); false when stopped.
bool sleep_unless_stopped(const Client& client, std::chrono::milliseconds d);

// The "message" of a Kubernetes Status body, or the body itself (shortened).
std::string status_message(unsigned status, const std::string& body);

}  // namespace nfegress::kube
