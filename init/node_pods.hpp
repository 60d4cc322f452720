// init/node_pods.hpp — layer: command line. `nfegress node`'s clients: this node's pods from the Kubernetes API
// (init/kube/pod_watch.hpp), the first list before start() returns, then a watch on its own thread; and
// `--deny-unknown node`: this node's pod ranges, read once at start (GET /api/v1/nodes/NAME, init/kube/node.hpp).
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

// spec.podCIDRs (else spec.podCIDR) of Node `node`, transient failures retried (kube::RetryPolicy). False with
// `error` set when it cannot be read, is malformed, or has no pod ranges (then the CIDR must be given explicitly).
// `found` says what was read ("Node node-1: spec.podCIDRs 10.244.1.0/24, 2001:db8:1::/64").
bool read_node_pod_cidrs(const CommonOptions& o, const std::string& node, std::vector<policy::IpPrefix>& out,
                         std::string& found, std::string& error);

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
