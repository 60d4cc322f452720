// enforcer/reload_background.hpp — layer: operations (threading around the Reloader). Reloads without blocking
// the event loop: reading the input and compiling it (prepare_policy, the costly part) run on one worker thread,
// then the commit — the kernel difference in one transaction and the pointer swap in the runtime — is posted to
// the io_context, the thread that also decides packets, so the kernel ruleset and the matcher switch together
// with no packet decided in between. One worker keeps requests in order; a request that a newer one supersedes
// before it started is skipped (the newer one reads the newer input).
// Must not: decide what to apply (the Reloader does), touch the kernel or the runtime off the io_context.
#pragma once
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "enforcer/reload.hpp"

namespace nfegress::enforcer {

class BackgroundReloader {
 public:
  BackgroundReloader(boost::asio::io_context& io, Reloader& reloader);
  ~BackgroundReloader();  // waits for a compile in progress; its commit is never run
  BackgroundReloader(const BackgroundReloader&) = delete;
  BackgroundReloader& operator=(const BackgroundReloader&) = delete;

  // Reads the input through the Reloader's loader (SIGHUP, file change).
  void reload(const std::string& why);
  // Applies an input read elsewhere (a new version from the Kubernetes watch).
  void apply(policy::LoadResult input, const std::string& why);
  // The same for an input kept by the caller (node mode re-applies its last input on every pod change: shared,
  // not copied — a copy of 100k CIDRs was most of a pod change's CPU).
  void apply(std::shared_ptr<const policy::LoadResult> input, const std::string& why);
  // Called on the io_context after each commit (tests and metrics hooks); optional.
  void on_committed(std::function<void(const ReloadOutcome&)> f) { committed_ = std::move(f); }
  void stop();  // no new work; a compile in progress finishes, its commit is dropped

 private:
  void submit(std::function<PreparedPolicy()> prepare, const std::string& why);

  boost::asio::io_context& io_;
  Reloader& reloader_;
  boost::asio::thread_pool worker_{1};
  std::atomic<std::uint64_t> requested_{0};
  // Shared with the posted handlers: a commit still queued on the io_context after stop() (or after this object
  // is gone) sees it and does nothing.
  std::shared_ptr<std::atomic<bool>> stopped_ = std::make_shared<std::atomic<bool>>(false);
  std::function<void(const ReloadOutcome&)> committed_;
};

}  // namespace nfegress::enforcer
