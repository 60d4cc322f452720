// init/node_pods.hpp — layer: command line. `nfegress node`'s clients: this node's pods from the Kubernetes API
// (init/kube/pod_watch.hpp), the first list before start() returns, then a watch on its own thread.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "init/cli.hpp"
#include "policy/clients.hpp"

namespace nfegress::kube {
class Client;
class PodWatcher;
}  // namespace nfegress::kube

namespace nfegress::cli {

class PodWatch {
 public:
  // --kubeconfig or the in-cluster service account; `changed` gets every new client list (the first one before
  // this returns), on the watch's thread after that. nullptr (error set) when the first list failed.
  static std::unique_ptr<PodWatch> start(const CommonOptions& o, const std::string& node,
                                         std::function<void(std::vector<policy::Client>)> changed, std::string& error);
  ~PodWatch();
  void stop();

 private:
  PodWatch() = default;
  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<kube::PodWatcher> watcher_;
  std::thread thread_;
};

}  // namespace nfegress::cli
