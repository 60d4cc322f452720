// init/kube/load.cpp — layer: input (Kubernetes API source entry points). See load.hpp.
#include "init/kube/load.hpp"

#include <algorithm>
#include <iostream>

namespace nfegress::kube {

std::vector<std::string> unique_namespaces(const std::vector<std::string>& namespaces) {
  std::vector<std::string> out;
  for (const auto& ns : namespaces)
    if (!ns.empty() && std::find(out.begin(), out.end(), ns) == out.end()) out.push_back(ns);
  return out;
}

std::vector<std::string> scope_namespaces(const SourceOptions& options) {
  if (options.all_namespaces) return {""};
  return unique_namespaces(options.namespaces);
}

std::unique_ptr<Client> connect(const SourceOptions& options, std::string& error) {
  Config config;
  const bool ok = options.kubeconfig.empty() ? in_cluster_config(config, error)
                                             : load_kubeconfig(options.kubeconfig, config, error);
  if (!ok) return nullptr;
  return Client::create(config, options.timeouts, error);
}

policy::Diagnostic api_error(const std::string& message) {
  policy::Diagnostic d;
  d.loc.file = "kube";
  d.message = message;
  return d;
}

policy::LoadResult load_once(const SourceOptions& options, const policy::LoadOptions& load) {
  policy::LoadResult out;
  std::string error;
  auto client = connect(options, error);
  Snapshot snap;
  const Log log = options.log ? options.log : Log([](const std::string& s) { std::cerr << "nfegress: " << s << "\n"; });
  if (client && list_all(*client, scope_namespaces(options), options.retry, log, snap, error)) {
    out = to_load_result(snap.objects, load);
    return out;
  }
  out.diagnostics.push_back(api_error("Kubernetes API: " + error));
  return out;
}

}  // namespace nfegress::kube
