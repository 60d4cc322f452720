// enforcer/ops.hpp — layer: operations (wiring). Everything `nfegress enforce` needs besides the queue runtime,
// behind one object so the command line stays a few lines: the metrics, the JSON decision log, the admin server,
// the Reloader and its triggers (SIGHUP, manifest changes), and the kernel sink they program through.
// Must not: decide flows (the runtime does), parse command-line options.
#pragma once
#include <boost/asio/io_context.hpp>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "enforcer/admin_server.hpp"
#include "enforcer/counters.hpp"
#include "enforcer/decision.hpp"
#include "enforcer/decision_log.hpp"
#include "enforcer/metrics.hpp"
#include "enforcer/reload.hpp"
#include "enforcer/reload_background.hpp"
#include "enforcer/reload_watch.hpp"

namespace nfegress::enforcer {

struct OpsConfig {
  std::string admin_addr = kDefaultAdminAddr;  // --admin-addr; "" = no admin server
  AdminLimits admin_limits;
  MetricsOptions metrics;
  std::vector<std::string> watch_paths;  // the manifest PATHS ("-" is never watched)
  ReloadConfig reload;                   // reload.queue is overwritten by open_kernel_sink's probe
};

// The production sink: a netlink socket in the current network namespace (CAP_NET_ADMIN), with the queue
// implementation resolved (KernelOptions::queue, probed when Auto). nullptr + `error` on failure.
// Also probes the SYN-ACK anchor (netfilter/anchor_choice.hpp): sets k.syn_ack_anchor and says so in `log`.
std::unique_ptr<KernelSink> open_kernel_sink(policy::KernelOptions& k, netfilter::QueueImpl& queue,
                                             std::string& error, std::ostream& log);

class Operations {
 public:
  // Starts the admin server and the reload triggers on `io` (nothing is applied yet: call reloader().reload() or
  // reloader().commit()).
  // `decisions` is where the JSON lines go (stdout in production); `log` gets reload messages (stderr).
  static std::unique_ptr<Operations> start(boost::asio::io_context& io, OpsConfig config,
                                           std::unique_ptr<KernelSink> kernel, PolicyHandoff handoff,
                                           std::ostream& decisions, std::ostream& log, std::string& error);
  ~Operations();

  Metrics& metrics() { return metrics_; }
  Reloader& reloader() { return *reloader_; }
  // Reloads off the event loop (SIGHUP, file changes and new Kubernetes versions go through it).
  BackgroundReloader& background() { return *background_; }
  DecisionLog& decision_log() { return decision_log_; }
  AdminServer* admin() { return admin_.get(); }

  // Renders the runtime's counters too: `read` sums the queue workers' (Runtime::counters(), any thread).
  void attach_reader(std::function<Counters()> read) { metrics_.attach_reader(std::move(read)); }
  void attach(const Counters* runtime) { metrics_.attach(runtime); }
  // One JSON line and the Linkerd route metrics per decision, written at once (tests, a single thread).
  DecisionCallback decision_callback();
  // Issue 19, for Runtime::set_decision_output: each queue worker counts a decision's route metrics and formats
  // its line into the worker's own buffer (no lock but the metrics' shared one per decision); the buffer is written
  // with one locked write per burst (DecisionLog::write_lines), so lines from several workers never interleave.
  DecisionOutput decision_output();

  void stop();  // admin server and triggers

 private:
  Operations(OpsConfig config, std::unique_ptr<KernelSink> kernel, std::ostream& decisions);

  OpsConfig config_;
  std::unique_ptr<KernelSink> kernel_;
  Metrics metrics_;
  DecisionLog decision_log_;
  std::unique_ptr<Reloader> reloader_;
  std::unique_ptr<BackgroundReloader> background_;  // after reloader_: destroyed (joined) before it
  std::unique_ptr<AdminServer> admin_;
  std::unique_ptr<ReloadWatch> watch_;
};

}  // namespace nfegress::enforcer
