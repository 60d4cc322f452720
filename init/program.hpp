// init/program.hpp — layer: command line. The path every kernel-facing subcommand shares: valid resources ->
// Plan for the client namespace -> Ruleset, with the queue implementation chosen once (probed in the kernel when
// --queue-impl is auto). No policy logic here: compile() decides, build_ruleset() renders.
#pragma once
#include <future>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "init/cli.hpp"
#include "netfilter/ruleset.hpp"
#include "netfilter/writer.hpp"
#include "policy/load.hpp"
#include "policy/plan.hpp"

namespace nfegress::cli {

// Compiles the (valid) input for --namespace; the compiler's warnings go to `log`, one line each.
policy::Plan compile_input(const CommonOptions& o, const policy::LoadResult& input, std::ostream& log);

// netfilter::choose_queue (the one decision, netfilter/queue_choice.hpp) and its line printed to `log`: what was
// chosen and why, or the probe's error (then nullopt).
std::optional<netfilter::QueueImpl> choose_queue(const CommonOptions& o, netfilter::Writer& writer, std::ostream& log);

// For commands that may run without privileges (export): probe when a netlink socket can be opened, else assume
// compat (what kernels without CONFIG_NFT_QUEUE need) and say so (netfilter::queue_fallback_line).
netfilter::QueueImpl choose_queue_offline(const CommonOptions& o, std::ostream& log);

// The egress guard (netfilter/guard.hpp) for this namespace: the interfaces its chain hooks, or none and why.
struct GuardChoice {
  std::vector<std::string> devices;
  std::string off;  // why there are none ("--no-egress-guard", "this kernel has no netdev egress hook ...")
  bool no_table = false;  // off and no guard table in the kernel: nothing to remove, no netdev message to send
  void apply(policy::KernelOptions& k) const {
    k.guard_devices = devices;
    k.guard_off = off;
    k.guard_remove = !no_table;
  }
};
// --no-egress-guard: none. Else every non-loopback interface present now, if `writer` (nullptr: cannot probe,
// assumed supported) finds that the kernel takes the guard; without support, none, and one warning line in `log`
// saying what is missing — the rest of the ruleset is programmed as always.
GuardChoice choose_guard(const policy::KernelOptions& k, netfilter::Writer* writer, std::ostream& log);

// The SYN-ACK anchor (netfilter/anchor_choice.hpp): --syn-ack-anchor off, else probed through `writer` (nullptr:
// not probed, shown as a kernel that has it). Its line goes to `log` (a warning when the kernel refuses it).
bool choose_anchor(const policy::KernelOptions& k, netfilter::Writer* writer, std::ostream& log);

// Opens the netfilter socket; prints "nfegress COMMAND: ..." to `err` on failure (not root, ...).
std::optional<netfilter::Writer> open_writer(const char* command, std::ostream& err);

// The socket and the queue choice of a kernel-facing command, prepared on a thread while the manifests load: the
// probe is two check-only transactions, and on a kernel without the native queue expression its failed module
// autoload alone takes 15-20 ms. What open_writer/choose_queue would print is kept in `log` for the caller to
// print after the input's own diagnostics, so the output reads as before. `o` must outlive the future.
struct KernelSession {
  std::optional<netfilter::Writer> writer;
  std::optional<netfilter::QueueImpl> queue;  // nullopt: no socket, or the probe failed (said in `log`)
  GuardChoice guard;                          // probed on the same thread, after the queue
  bool anchor = false;                        // the SYN-ACK anchor, probed after the guard
  std::string log;
};
std::future<KernelSession> prepare_kernel(const CommonOptions& o, const char* command);

// Elements over all sets and maps of a ruleset (for summaries).
std::size_t element_count(const netfilter::Ruleset& rs);

}  // namespace nfegress::cli
