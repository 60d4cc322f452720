// init/kube/follow.cpp — layer: I/O (Kubernetes API, long-running). See follow.hpp.
#include "init/kube/follow.hpp"

#include <algorithm>
#include <iostream>

namespace nfegress::kube {

Follower::Follower(SourceOptions source, policy::LoadOptions load, Watcher::Callback callback, WatchOptions watch)
    : Follower(std::move(source), Factory(), std::move(watch)) {
  make_ = [namespaces = scope_namespaces(source_), load = std::move(load),
           callback = std::move(callback)](Client& client, const WatchOptions& options) -> std::unique_ptr<Runner> {
    return std::make_unique<Watcher>(client, namespaces, load, callback, options);
  };
}

Follower::Follower(SourceOptions source, Factory make, WatchOptions watch)
    : source_(std::move(source)), make_(std::move(make)), watch_(std::move(watch)) {
  if (!watch_.log) watch_.log = source_.log;
  if (!watch_.log) watch_.log = [](const std::string& s) { std::cerr << "nfegress: " << s << "\n"; };
}

Follower::~Follower() {
  stop();
  if (thread_.joinable()) thread_.join();
}

void Follower::start() { thread_ = std::thread([this] { loop(); }); }

void Follower::stop() {
  std::lock_guard lock(mu_);
  stopping_ = true;
  if (current_) current_->stop();
  cv_.notify_all();
}

void Follower::loop() {
  auto backoff = watch_.reconnect_first;
  while (true) {
    std::string error;
    auto client = connect(source_, error);
    if (client) {
      const auto runner = make_(*client, watch_);
      {
        std::lock_guard lock(mu_);
        if (stopping_) return;
        current_ = runner.get();
      }
      const bool ok = runner->run(error);
      std::lock_guard lock(mu_);
      current_ = nullptr;
      if (stopping_) return;
      if (ok) backoff = watch_.reconnect_first;
    }
    if (on_failure_) on_failure_(error);
    std::unique_lock lock(mu_);
    if (stopping_) return;
    watch_.log("kube: " + error + "; trying again in " + std::to_string(backoff.count()) + " ms");
    cv_.wait_for(lock, backoff, [this] { return stopping_; });
    if (stopping_) return;
    backoff = std::min(backoff * 2, watch_.reconnect_max);
  }
}

}  // namespace nfegress::kube
