// init/kube/follow.hpp — layer: I/O (Kubernetes API, long-running). Keeps a kube::Watcher (or any kube::Runner: the
// pod source, kube::PodWatcher) running on a background thread for a long-lived process (`enforce --source kube`,
// node mode): when the API cannot be listed (down at start, credentials not there yet) it logs and tries again
// with backoff instead of giving up, so the process keeps its last state and catches up once the API answers.
// GET only. No policy decisions.
#pragma once
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "init/kube/load.hpp"
#include "init/kube/watch.hpp"

namespace nfegress::kube {

class Follower {
 public:
  // Makes the runner for one connection (a new one after each failure); called on the background thread.
  using Factory = std::function<std::unique_ptr<Runner>(Client&, const WatchOptions&)>;

  Follower(SourceOptions source, policy::LoadOptions load, Watcher::Callback callback, WatchOptions watch = {});
  Follower(SourceOptions source, Factory make, WatchOptions watch = {});
  ~Follower();  // stop() and join
  Follower(const Follower&) = delete;
  Follower& operator=(const Follower&) = delete;

  // Called (on the background thread) when a list fails after its bounded retries, before the backoff; lets a
  // caller that waits for the first list give up with the error. Set before start().
  void on_failure(std::function<void(const std::string&)> f) { on_failure_ = std::move(f); }
  void start();  // once; the callback then runs on the background thread
  void stop();   // thread-safe, idempotent

 private:
  void loop();

  SourceOptions source_;
  Factory make_;
  WatchOptions watch_;
  std::function<void(const std::string&)> on_failure_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  Runner* current_ = nullptr;  // guarded by mu_
  std::thread thread_;
};

}  // namespace nfegress::kube
