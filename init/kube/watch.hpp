// init/kube/watch.hpp — layer: I/O (Kubernetes API watch). Keeps the current set of objects in sync with the
// API server: one list, then one watch stream per served resource and namespace, from the list's resourceVersion
// with bookmarks (ADDED/MODIFIED/DELETED/BOOKMARK; 410 Gone -> relist that scope; a dropped stream resumes from
// the last resourceVersion seen, so no event is lost; reconnects back off exponentially). After every change the
// whole set is converted and validated again and handed to a callback, debounced. GET only. No policy decisions.
#pragma once
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "init/kube/client.hpp"
#include "init/kube/list.hpp"
#include "policy/load.hpp"

namespace nfegress::kube {

struct WatchOptions {
  RetryPolicy retry;                               // initial list and relists
  std::chrono::milliseconds debounce{100};         // quiet time after the last change before calling back...
  std::chrono::milliseconds max_delay{500};        // ...but never later than this after the first change
  std::chrono::milliseconds reconnect_first{250};  // watch reconnect backoff, doubling...
  std::chrono::milliseconds reconnect_max{8000};   // ...up to this
  int timeout_seconds = 290;                       // asked of the server per watch (it ends the stream then)
  Log log;                                         // default: stderr
};

class Watcher {
 public:
  using Callback = std::function<void(policy::LoadResult)>;

  Watcher(Client& client, std::vector<std::string> namespaces, policy::LoadOptions load, Callback callback,
          WatchOptions options = {});
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  // Lists (bounded retries) and calls back with the initial set, then watches and calls back after changes until
  // stop(). Returns false (error set) when the initial list failed; nothing was called back then. Blocks; the
  // callback runs on this thread. Call once.
  bool run(std::string& error);

  // Thread-safe; makes run() return soon. Also stops the client.
  void stop();

  // Number of (re)lists and watch streams opened so far (tests, metrics).
  std::size_t relists() const;

 private:
  void watch_loop(std::size_t scope_index);
  bool on_event(std::size_t scope_index, std::string_view line, std::string& resource_version, bool& gone);
  bool relist(std::size_t scope_index, std::string& resource_version);
  void changed();
  void debounce_loop();
  void log(const std::string& line) const;

  Client& client_;
  std::vector<std::string> namespaces_;
  policy::LoadOptions load_;
  Callback callback_;
  WatchOptions options_;
  Snapshot snapshot_;  // scopes fixed after the first list; objects guarded by mu_

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool dirty_ = false;
  std::chrono::steady_clock::time_point last_change_{};
  std::size_t relists_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace nfegress::kube
