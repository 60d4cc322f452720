// init/kube/watch.hpp — layer: I/O (Kubernetes API watch). Keeps the current set of policy objects in sync with
// the API server: one list, then one watch stream per served resource and namespace, or per served resource
// cluster-wide (namespace "": node mode) (init/kube/stream: from the list's resourceVersion with bookmarks, 410
// Gone -> relist that scope, a dropped stream resumes from the last resourceVersion seen, reconnects back off
// exponentially). The first callback comes only after every type was listed completely (node mode relies on it:
// no table from a partial policy); after every change the whole set is converted and validated again and handed
// to a callback, debounced. GET only. No policy decisions.
#pragma once
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "init/kube/client.hpp"
#include "init/kube/list.hpp"
#include "init/kube/stream.hpp"
#include "policy/load.hpp"

namespace nfegress::kube {

class Watcher : public Runner {
 public:
  using Callback = std::function<void(policy::LoadResult)>;

  Watcher(Client& client, std::vector<std::string> namespaces, policy::LoadOptions load, Callback callback,
          WatchOptions options = {});
  ~Watcher() override;
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  // Lists (bounded retries) and calls back with the initial set, then watches and calls back after changes until
  // stop(). Returns false (error set) when the initial list failed; nothing was called back then. Blocks; the
  // callback runs on this thread. Call once.
  bool run(std::string& error) override;

  // Thread-safe; makes run() return soon. Also stops the client.
  void stop() override;

  // Number of relists after 410 Gone so far (tests, metrics).
  std::size_t relists() const;

 private:
  void on_event(std::size_t scope_index, const std::string& type, nlohmann::json object);
  void on_relist(std::size_t scope_index, std::vector<nlohmann::json> items);
  void log(const std::string& line) const;

  Client& client_;
  std::vector<std::string> namespaces_;
  policy::LoadOptions load_;
  Callback callback_;
  WatchOptions options_;
  Debouncer debouncer_;
  Snapshot snapshot_;  // scopes fixed after the first list; objects guarded by mu_

  mutable std::mutex mu_;
  std::size_t relists_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace nfegress::kube
