// init/kube/pod_watch.hpp — layer: I/O (Kubernetes API watch). Node mode's pod source (issue 18): lists and watches
// the Pods of one node (`/api/v1/pods?fieldSelector=spec.nodeName=NODE`: the API server filters, so RBAC stays
// get/list/watch on pods) through init/kube/stream (resourceVersion, bookmarks, 410 Gone -> relist, a dropped
// stream resumes, reconnects back off) and calls back with the node's whole client list (address -> namespace,
// init/kube/pods) after each change of it, debounced (WatchOptions: 100 ms quiet, at most 500 ms after the first
// change). Pod updates that change no address (readiness, restarts) do not call back. Malformed pods and addresses
// two pods claim are logged when they appear. Run it under kube::Follower to survive an API outage at start.
// GET only. No policy decisions, no kernel.
#pragma once
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "init/kube/client.hpp"
#include "init/kube/pods.hpp"
#include "init/kube/stream.hpp"

namespace nfegress::kube {

// The collection of the Pods bound to `node` (all namespaces).
Collection pods_on_node(const std::string& node);

class PodWatcher : public Runner {
 public:
  // The node's clients, normalized (policy::normalize_clients: sorted, disjoint).
  using Callback = std::function<void(std::vector<policy::Client>)>;

  PodWatcher(Client& client, std::string node, Callback callback, WatchOptions options = {});
  ~PodWatcher() override;
  PodWatcher(const PodWatcher&) = delete;
  PodWatcher& operator=(const PodWatcher&) = delete;

  // The first list (bounded retries); calls back once with its clients. False (error set) when it failed; nothing
  // was called back then.
  bool list(std::string& error);
  // After list(): watches and calls back after every change of the clients until stop(). Blocks; the callback runs
  // on this thread.
  void watch();
  // list() then watch() (kube::Runner, for kube::Follower).
  bool run(std::string& error) override;
  void stop() override;  // thread-safe; also stops the client

 private:
  bool put(nlohmann::json pod);  // true when the pod's addresses changed
  void flush();
  void log(const std::string& line) const;

  Client& client_;
  Collection collection_;
  Callback callback_;
  WatchOptions options_;
  Debouncer debouncer_;
  std::string resource_version_;  // of the first list
  std::mutex mu_;
  std::map<PodKey, PodAddresses> pods_;    // guarded by mu_
  std::vector<std::string> last_errors_;   // PodClients::errors of the last flush (flush thread only)
};

}  // namespace nfegress::kube
