// init/source.cpp — layer: command line. See source.hpp.
#include "init/source.hpp"

#include "policy/kube/load.hpp"

namespace nfegress::cli {

policy::LoadResult load_input(const CommonOptions& o) {
  if (o.source == "kube") {
    kube::SourceOptions k;
    k.kubeconfig = o.kubeconfig;
    k.namespaces = {o.ns, o.compile.global_ns};
    return kube::load_once(k, o.load);
  }
  return policy::load_paths(o.paths, o.load);
}

}  // namespace nfegress::cli
