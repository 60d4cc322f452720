// enforcer/reload.hpp — layer: operations (decision of what to apply; the kernel is behind an interface). Live
// reload in two steps: prepare_policy() compiles a LoadResult (from the manifest files, or from the Kubernetes
// watch) once into the CompiledPolicy (plan + matcher) the runtime will use and the ruleset to program — pure and
// thread-safe, so it runs off the event loop; Reloader::commit() then diffs that ruleset against what is
// programmed and sends the difference in ONE transaction (the kernel half) and hands the same CompiledPolicy to
// the runtime (the runtime half), back to back on one thread so the kernel and the matcher switch together.
// Invalid input or a kernel error keeps the old policy in both halves. Flows already decided keep their decision:
// it lives in their conntrack mark, not in the table.
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

#include "enforcer/client_policies.hpp"
#include "enforcer/flow.hpp"
#include "enforcer/node_prepare.hpp"
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

// The runtime half: called after the kernel committed, with the plan and matcher to use for new decisions (the
// same objects the Reloader keeps: compiled once).
using PolicyHandoff = std::function<void(std::shared_ptr<const CompiledPolicy>)>;

struct ReloadConfig {
  std::string command = "enforce";      // the log lines' prefix: "nfegress COMMAND: policy applied ..."
  std::string client_ns;                // --namespace
  policy::CompileOptions compile;
  policy::KernelOptions kernel;
  netfilter::QueueImpl queue = netfilter::QueueImpl::Compat;  // resolved once (probe) by the caller
  std::function<policy::LoadResult()> load;  // reload() reads the input through this (e.g. cli::load_input)
  // Node and gateway mode (node_prepare.hpp): set = the table enforces these clients' namespaces by source
  // address, read at every prepare (a pod change re-applies the last input); `client_ns` is unused then.
  std::function<std::vector<policy::Client>()> clients;
  std::shared_ptr<NodeCache> node_cache;
};

// A compiled input, ready to commit: the policy and its ruleset, or the errors that keep the current policy.
struct PreparedPolicy {
  std::shared_ptr<const CompiledPolicy> policy;  // node mode: the clients' fallback (kernel options only)
  std::shared_ptr<const ClientPolicies> clients;  // node mode: each client's policy
  std::optional<netfilter::Ruleset> desired;
  std::vector<std::string> errors;     // "FILE:LINE: ..." diagnostics of the input or the compiler
};

// Compiles `input` (load diagnostics with errors: nothing compiled). Pure and thread-safe: the costly part of a
// reload, meant to run off the event loop.
PreparedPolicy prepare_policy(const ReloadConfig& config, const policy::LoadResult& input);

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

  // Applies a prepared policy: the first successful call replaces the table atomically (whatever init left
  // there), later calls send only the difference; then hands the policy to the runtime. Thread-safe (calls are
  // serialised); in `enforce` it runs on the event loop, which also runs the runtime.
  ReloadOutcome commit(PreparedPolicy prepared, const std::string& why);
  // prepare_policy + commit on the caller's thread (start-up, tests).
  ReloadOutcome apply(const policy::LoadResult& input) { return apply(input, "apply"); }
  ReloadOutcome apply(const policy::LoadResult& input, const std::string& why) {
    return commit(prepare_policy(config_, input), why);
  }
  // Reads the input through config.load and applies it. `why`: "SIGHUP", "file change", "start".
  ReloadOutcome reload(const std::string& why) { return commit(load_and_prepare(), why); }
  // config.load + prepare_policy (errors when there is no loader). Thread-safe.
  PreparedPolicy load_and_prepare() const;

  // Node mode: after each commit, before `handoff`, the clients' policies go here (Runtime::swap_clients).
  void set_clients_handoff(std::function<void(std::shared_ptr<const ClientPolicies>)> h) {
    clients_handoff_ = std::move(h);
  }
  bool ready() const { return ready_.load(); }  // a policy has been applied (never blocks)
  const ReloadConfig& config() const { return config_; }  // immutable
  std::shared_ptr<const CompiledPolicy> policy() const;
  std::shared_ptr<const policy::Plan> plan() const;        // parts of policy(), sharing its ownership
  std::shared_ptr<const policy::Matcher> matcher() const;

 private:
  ReloadOutcome fail(ReloadOutcome out, const std::string& why);
  std::optional<netfilter::KernelError> program(const netfilter::Ruleset& desired, ReloadOutcome& out);

  ReloadConfig config_;
  KernelSink& kernel_;
  PolicyHandoff handoff_;
  std::function<void(std::shared_ptr<const ClientPolicies>)> clients_handoff_;
  Metrics* metrics_;
  std::ostream& log_;

  std::atomic<bool> ready_{false};
  mutable std::mutex mu_;
  std::optional<netfilter::Ruleset> current_;  // what we last programmed
  std::shared_ptr<const CompiledPolicy> policy_;
};

}  // namespace nfegress::enforcer
