// init/cmd_init.cpp — layer: command line. `nfegress init PATHS... --namespace NS`: load, compile, choose the queue
// implementation, and program the current network namespace in ONE transaction that replaces our table atomically
// (re-running converges; there is never a moment without rules). `--dry-run` sends the same batch check-only (the
// kernel validates every message, nothing stays) and prints the ruleset as nft text.
// Exit 0 programmed (or dry run passed), 1 invalid input or kernel error (previous ruleset untouched), 2 usage.
// No policy logic and no netlink here (init/program.cpp, netfilter/).
#include <chrono>
#include <iostream>

#include "init/cli.hpp"
#include "init/commands.hpp"
#include "init/program.hpp"
#include "init/source.hpp"
#include "netfilter/batch.hpp"
#include "netfilter/render.hpp"

namespace nfegress::cli {
namespace {

// Wall-clock milliseconds per phase, for the summary line (where the time of a large policy goes).
class Laps {
 public:
  double lap() {
    const auto now = std::chrono::steady_clock::now();
    const double ms = std::chrono::duration<double, std::milli>(now - last_).count();
    last_ = now;
    total_ += ms;
    return ms;
  }
  double total() const { return total_; }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
  double total_ = 0;
};

long rounded(double ms) { return static_cast<long>(ms + 0.5); }

const char* kUsage =
    "usage: nfegress init PATHS... --namespace NS [--dry-run] [input, compile and kernel options]\n"
    "Compiles the manifests for client namespace NS and programs table inet TABLE and the egress guard table\n"
    "netdev TABLE (every non-loopback interface present now) in the current network namespace, replacing the\n"
    "previous ones in one transaction. --dry-run checks the batch against the kernel and\n"
    "prints the ruleset (nft syntax) without applying it.\n"
    "Exit status: 0 programmed, 1 invalid input or kernel error (nothing changed), 2 usage error.";

}  // namespace

int cmd_init(int argc, char** argv) {
  CommonOptions o;
  bool dry_run = false;
  po::options_description d("init options");
  po::positional_options_description pos;
  add_input_options(d, pos, o);
  add_compile_options(d, o);
  add_kernel_options(d, o);
  d.add_options()("dry-run", po::bool_switch(&dry_run), "check against the kernel and print; change nothing");
  bool help = false;
  if (!parse(argc, argv, kUsage, d, pos, o, help, std::cout, std::cerr)) return 2;
  if (help) return 0;
  if (!require_namespace(o, "init", std::cerr)) return 2;

  Laps laps;
  auto session = prepare_kernel(o, "init");  // the socket and the queue probe, while the input loads
  auto input = load_valid(o, "init", std::cerr);
  if (!input) return o.paths.empty() ? 2 : 1;
  const double t_load = laps.lap();
  auto plan = compile_input(o, *input, std::cerr);
  // The manifests are not needed past the plan: give their memory back to malloc now, so the ruleset and the
  // batch reuse it instead of faulting in (and zeroing) fresh pages.
  input.reset();
  const double t_compile = laps.lap();
  auto kernel = session.get();
  std::cerr << kernel.log;
  if (!kernel.writer || !kernel.queue) return 1;
  auto& w = kernel.writer;
  const auto& queue = kernel.queue;
  const double t_probe = laps.lap();  // what was left of the probe after load + compile
  kernel.guard.apply(plan.kernel);   // both tables in one transaction
  plan.kernel.syn_ack_anchor = kernel.anchor;
  const auto rs = netfilter::build_ruleset(plan, *queue);
  const auto batch = netfilter::replace_batch(rs, w->next_seq(), !dry_run);
  const double t_build = laps.lap();
  if (auto err = w->send(batch)) {
    std::cerr << "nfegress init: " << err->format() << "\n";
    if (err->uncertain)
      std::cerr << "nfegress init: the kernel's answer was lost; check table inet " << rs.table
                << " with `nfegress status`\n";
    else
      std::cerr << "nfegress init: " << (dry_run ? "the dry run failed" : "the transaction was rolled back")
                << "; the previous ruleset of table inet " << rs.table << " is unchanged\n";
    return 1;
  }
  const double t_kernel = laps.lap();
  if (dry_run) {
    std::cout << netfilter::render_text(rs);
    std::cerr << "nfegress init: dry run: the kernel accepted all " << batch.messages()
              << " messages; nothing was changed\n";
    return 0;
  }
  std::cout << "nfegress init: programmed table inet " << rs.table << " for namespace " << plan.client_ns << ": "
            << plan.networks.size() << " EgressNetwork(s), " << element_count(rs) << " element(s), "
            << batch.messages() << " message(s), queue " << netfilter::queue_impl_name(*queue) << ", egress guard "
            << (rs.guard && rs.guard->on() ? "on" : "off") << ", "
            << (plan.kernel.learns_dns() ? "DNS answers of " + std::to_string(plan.kernel.dns_servers.size()) +
                                               " resolver(s) to queue " +
                                               std::to_string(netfilter::dns_queue_num(plan.kernel)) + " (bypass)"
                                         : std::string("name binding ") +
                                               policy::name_binding_name(plan.kernel.name_binding) +
                                               ", no DNS answer queued")
            << ", "
            << rounded(laps.total()) << " ms (load " << rounded(t_load) << ", compile " << rounded(t_compile)
            << ", probe " << rounded(t_probe) << ", ruleset+batch " << rounded(t_build) << ", kernel "
            << rounded(t_kernel) << ")\n";
  if (plan.kernel.name_binding == policy::KernelOptions::NameBinding::Off)
    std::cout << "nfegress init: " << rs.dns_note << "\n";
  std::string audited;
  for (const auto& n : plan.networks)
    if (n.audit) audited += (audited.empty() ? "" : ", ") + n.id();
  if (!audited.empty())  // report only: say so where the operator looks (docs/operations.md, "Audit first")
    std::cout << "nfegress init: audit mode (report only, denials let through and counted): " << audited << "\n";
  return 0;
}

}  // namespace nfegress::cli
