// init/first_input.hpp — layer: command line. The handshake between a long-running command (`enforce`, `node`,
// `gateway` with --source kube) and its Kubernetes follower (init/source.hpp follow_input): the command waits for
// the follower's first complete list before it programs anything, and later versions are the command's to apply
// through the background reloader. No policy logic here.
#pragma once
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>

#include "policy/load.hpp"

namespace nfegress::cli {

// The first version of the input from the Kubernetes follower (its initial list), or the error of that list.
class FirstInput {
 public:
  // Takes `r` if nothing was delivered yet (true); later versions are the caller's to apply (false).
  bool offer(policy::LoadResult& r) {
    std::lock_guard lock(mu_);
    if (done_) return false;
    result_ = std::move(r);
    done_ = true;
    cv_.notify_all();
    return true;
  }
  void fail(const std::string& error) {
    std::lock_guard lock(mu_);
    if (done_) return;
    error_ = error;
    done_ = true;
    cv_.notify_all();
  }
  // Blocks until offer() or fail(); nullopt after fail() (error() says why).
  std::optional<policy::LoadResult> wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return done_; });
    return std::move(result_);
  }
  std::string error() const {
    std::lock_guard lock(mu_);
    return error_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::optional<policy::LoadResult> result_;
  std::string error_;
};

}  // namespace nfegress::cli
