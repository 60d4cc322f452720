// enforcer/reload.hpp — layer: operations (decision of what to apply; the kernel is behind an interface). Live
// reload: a LoadResult (from the manifest files, or from the Kubernetes watch) is compiled, its ruleset diffed
// against what is programmed and the difference sent in ONE transaction (the kernel half); then the new Plan and
// Matcher are handed to the runtime (the runtime half). Invalid input or a kernel error keeps the old policy in
// both halves. Flows already decided keep their decision: it lives in their conntrack mark, not in the table.
// Must not: read files or sockets itself (the loader and the KernelSink do), decide flows.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "enforcer/metrics.hpp"
#include "netfilter/batch.hpp"
#include "netfilter/ruleset.hpp"
#include "netfilter/writer.hpp"
#include "policy/load.hpp"
#include "policy/match.hpp"
#include "policy/plan.hpp"

namespace nfegress::enforcer {

// Where batches go. The production sink is a netfilter::Writer; tests use a fake that records batches.
class KernelSink {
 public:
  virtual ~KernelSink() = default;
  virtual std::uint32_t next_seq() = 0;
  // One batch, one transaction; nullopt when the kernel committed it.
  virtual std::optional<netfilter::KernelError> send(const netfilter::Batch& b) = 0;
};

class WriterSink : public KernelSink {
 public:
  explicit WriterSink(netfilter::Writer& w) : w_(w) {}
  std::uint32_t next_seq() override { return w_.next_seq(); }
  std::optional<netfilter::KernelError> send(const netfilter::Batch& b) override;

 private:
  netfilter::Writer& w_;
};

// The runtime half: called after the kernel committed, with the plan and matcher to use for new decisions.
using PolicyHandoff =
    std::function<void(std::shared_ptr<const policy::Plan>, std::shared_ptr<const policy::Matcher>)>;

struct ReloadConfig {
  std::string client_ns;                // --namespace
  policy::CompileOptions compile;
  policy::KernelOptions kernel;
  netfilter::QueueImpl queue = netfilter::QueueImpl::Compat;  // resolved once (probe) by the caller
  std::function<policy::LoadResult()> load;  // reload() reads the input through this (e.g. cli::load_input)
};

struct ReloadOutcome {
  bool applied = false;                // kernel and matcher now follow the new input
  bool unchanged = false;              // applied, and the ruleset was already programmed: no batch sent
  netfilter::UpdateSummary summary;    // what the batch changed
  std::vector<std::string> errors;     // "FILE:LINE: ..." diagnostics or the kernel error
};

class Reloader {
 public:
  // `metrics` may be null. `log` receives one line per reload and every error.
  Reloader(ReloadConfig config, KernelSink& kernel, PolicyHandoff handoff, Metrics* metrics, std::ostream& log);

  // Applies a loaded input. The first successful call replaces the table atomically (whatever init left there);
  // later calls send only the difference. Thread-safe (calls are serialised).
  ReloadOutcome apply(const policy::LoadResult& input);
  // The same, logged with `why` ("start": the input the process was started with, read once by the caller).
  ReloadOutcome apply(const policy::LoadResult& input, const std::string& why) { return apply_as(input, why); }
  // Reads the input through config.load and applies it. `why`: "SIGHUP", "file change", "start".
  ReloadOutcome reload(const std::string& why);

  bool ready() const { return ready_.load(); }  // a policy has been applied (never blocks)
  std::shared_ptr<const policy::Plan> plan() const;
  std::shared_ptr<const policy::Matcher> matcher() const;

 private:
  ReloadOutcome apply_as(const policy::LoadResult& input, const std::string& why);
  ReloadOutcome fail(ReloadOutcome out, const std::string& why);
  std::optional<netfilter::KernelError> program(const netfilter::Ruleset& desired, ReloadOutcome& out);

  ReloadConfig config_;
  KernelSink& kernel_;
  PolicyHandoff handoff_;
  Metrics* metrics_;
  std::ostream& log_;

  std::atomic<bool> ready_{false};
  mutable std::mutex mu_;
  std::optional<netfilter::Ruleset> current_;  // what we last programmed
  std::shared_ptr<const policy::Plan> plan_;
  std::shared_ptr<const policy::Matcher> matcher_;
};

}  // namespace nfegress::enforcer
