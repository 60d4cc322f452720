// init/kube/pod_watch.hpp — layer: I/O (Kubernetes API watch of this node's pods). Lists the Pods with
// spec.nodeName = NODE (a field selector: the API server filters, RBAC can stay get/list/watch on pods), then
// watches from the list's resourceVersion with bookmarks (410 Gone -> relist; a dropped stream resumes from the
// last resourceVersion; reconnects back off) and calls back with the clients (pods.hpp) whenever they change.
// GET only. No policy decisions.
#pragma once
#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "policy/clients.hpp"
#include "init/kube/client.hpp"
#include "init/kube/list.hpp"
#include "init/kube/pods.hpp"

namespace nfegress::kube {

class PodWatcher {
 public:
  using Callback = std::function<void(std::vector<policy::Client>)>;
  PodWatcher(Client& client, std::string node, Callback callback, Log log = {});

  // The first list (bounded retries); calls back once with its clients. False (error set) when it failed.
  bool list(std::string& error);
  // Watches and calls back after every change of the clients until stop(). Call after list().
  void watch();
  void stop();  // thread-safe; also stops the client

 private:
  bool relist(std::string& error);
  bool list_page(const std::string& cont, PodMap& pods, std::string& next, std::string& error, bool& transient);
  bool on_line(std::string_view line, bool& gone);
  void publish();

  Client& client_;
  std::string selector_;  // "fieldSelector=spec.nodeName%3DNODE"
  Callback callback_;
  Log log_;
  PodMap pods_;
  std::string rv_;
  std::vector<policy::Client> last_;
  std::atomic<bool> stop_{false};
};

}  // namespace nfegress::kube
