// init/source.cpp — layer: command line. See source.hpp.
#include "init/source.hpp"

#include <ostream>

#include "init/heap.hpp"
#include "init/kube/load.hpp"

namespace nfegress::cli {
namespace {

policy::LoadOptions load_options(const CommonOptions& o) {
  policy::LoadOptions load = o.load;
  load.validation.global_ns = o.compile.global_ns;
  load.validation.cluster_networks = o.compile.cluster_networks;
  load.validation.default_opaque_ports = o.compile.default_opaque_ports;
  return load;
}

kube::SourceOptions kube_options(const CommonOptions& o) {
  kube::SourceOptions k;
  k.kubeconfig = o.kubeconfig;
  k.namespaces = {o.ns, o.compile.global_ns};
  k.all_namespaces = o.all_namespaces;  // node mode: each client's namespace, whichever it is
  return k;
}

}  // namespace

policy::LoadResult load_input(const CommonOptions& o) {
  if (o.source == "kube") return kube::load_once(kube_options(o), load_options(o));
  prepare_heap_for_input(input_bytes(o.paths));  // every caller is a one-shot command
  auto options = load_options(o);
  options.prepare_thread = [](std::size_t piece_bytes) { prepare_thread_heap(piece_bytes); };
  return policy::load_paths(o.paths, options);
}

std::unique_ptr<kube::Follower> follow_input(const CommonOptions& o, std::function<void(policy::LoadResult)> apply,
                                             std::function<void(const std::string&)> failed) {
  if (o.source != "kube") return nullptr;
  auto f = std::make_unique<kube::Follower>(kube_options(o), load_options(o), std::move(apply));
  if (failed) f->on_failure(std::move(failed));
  f->start();
  return f;
}

std::optional<policy::LoadResult> load_valid(const CommonOptions& o, const char* command, std::ostream& err) {
  if (o.paths.empty()) {
    err << "nfegress " << command << ": no input (give files, directories or '-')\n";
    return std::nullopt;
  }
  auto result = load_input(o);
  for (const auto& d : result.diagnostics) err << d.format() << "\n";
  if (policy::has_errors(result.diagnostics)) {
    err << "nfegress " << command << ": the manifests are invalid; nothing was done\n";
    return std::nullopt;
  }
  return result;
}

bool require_namespace(const CommonOptions& o, const char* command, std::ostream& err) {
  if (!o.ns.empty()) return true;
  err << "nfegress " << command << ": --namespace is required (the client namespace to compile for)\n";
  return false;
}

}  // namespace nfegress::cli
