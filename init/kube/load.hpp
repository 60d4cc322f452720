// init/kube/load.hpp — layer: input (Kubernetes API source entry points). Picks the configuration (--kubeconfig
// or in-cluster), lists once and returns the same policy::LoadResult a manifest load would. A failure to reach or
// read the API is an error Diagnostic (file "kube"), so callers refuse to program an unprotected pod.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "init/kube/client.hpp"
#include "init/kube/list.hpp"
#include "policy/load.hpp"

namespace nfegress::kube {

struct SourceOptions {
  std::string kubeconfig;               // empty = in-cluster service account
  std::vector<std::string> namespaces;  // client and global egress namespace (duplicates/empties ignored)
  bool all_namespaces = false;          // node mode: one cluster-wide list and watch per type instead
  Timeouts timeouts;
  RetryPolicy retry;
  Log log;                              // one line per event worth telling an operator; default: stderr
};

// Namespaces in order without empties or duplicates.
std::vector<std::string> unique_namespaces(const std::vector<std::string>& namespaces);
// The namespaces to list and watch (Scope::ns): {""} (all, cluster-wide) with all_namespaces, else
// unique_namespaces(namespaces).
std::vector<std::string> scope_namespaces(const SourceOptions& options);

// Configuration and a client for it; nullptr (error set) when the configuration is unusable.
std::unique_ptr<Client> connect(const SourceOptions& options, std::string& error);

// Error Diagnostic for a failed API read.
policy::Diagnostic api_error(const std::string& message);

// One list of everything, converted and validated.
policy::LoadResult load_once(const SourceOptions& options, const policy::LoadOptions& load);

}  // namespace nfegress::kube
