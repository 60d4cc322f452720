// init/cli.hpp — layer: command line. Options every subcommand shares (policy input, compile and kernel
// options), parsed with Boost.Program_options into the typed option structs of policy/. No policy logic here.
#pragma once
#include <boost/program_options.hpp>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "policy/load.hpp"
#include "policy/plan.hpp"

namespace nfegress::cli {

namespace po = boost::program_options;

struct CommonOptions {
  std::vector<std::string> paths;  // manifest files/dirs, "-" = stdin; {"kube"} with --source kube (the input)
  std::string source = "files";    // --source files|kube
  std::string kubeconfig;          // --kubeconfig PATH (empty: in-cluster service account)
  bool watches_pods = false;       // `nfegress node`: --kubeconfig also serves its pod watch (any --source)
  bool all_namespaces = false;     // node, gateway: --source kube reads every namespace's policy (cluster-wide)
  std::string ns;                  // --namespace: the client namespace
  std::string output = "text";     // --output text|json
  policy::LoadOptions load;
  policy::CompileOptions compile;
  policy::KernelOptions kernel;

  // raw strings converted by finish()
  std::string cluster_networks;
  std::string opaque_ports;
  std::string ignore_ports;
  std::string ignore_cidrs;
  std::string queue_impl = "auto";
  std::string syn_ack_anchor = "auto";
  std::string mark_base = "0x00100000";
  std::string queue_total = "auto";  // --queue-total N|auto (auto: resolved in parse(), resolve_queue_total)
  std::uint32_t exempt_uid = 0;  // --exempt-uid (opt-in: kernel.exempt_uid is set only when given)
  bool no_egress_guard = false;  // --no-egress-guard
  std::string name_binding = "resolve";  // --name-binding strict|resolve|off
  std::string dns_servers;               // --dns-servers IP[,IP...] (default: resolv.conf, init/dns_options.hpp)
  // Where the default --dns-servers are read: the namespace's resolv.conf and, when it names only loopback
  // resolvers (a local stub), systemd-resolved's list of upstream resolvers. Tests point them at fixtures.
  std::string resolv_conf = "/etc/resolv.conf";
  std::string resolved_conf = "/run/systemd/resolve/resolv.conf";
};

// PATHS... positional, --source, --kubeconfig, --default-namespace, --verbose
void add_input_options(po::options_description& d, po::positional_options_description& pos, CommonOptions& o);
// --namespace, --global-namespace, --cluster-networks, --opaque-ports, --allow-udp, --audit
void add_compile_options(po::options_description& d, CommonOptions& o);
// --table, --exempt-uid, --queue-num, --queue-total, --fail-open, --mark-base, --ignore-ports, --ignore-cidrs,
// --queue-impl, --no-egress-guard, --name-binding, --dns-servers, --dns-queue, --strip-ech
void add_kernel_options(po::options_description& d, CommonOptions& o);
// --output text|json
void add_output_options(po::options_description& d, CommonOptions& o);

// Issue 19: --queue-total's default `auto` is one flow queue per online CPU (std::thread::hardware_concurrency(),
// at least 1, at most kMaxAutoQueues); a number is taken as it is. Resolved once, in parse(), by every command
// with the kernel options, so `init`, `export` and `enforce` on one machine agree; `enforce` (and node/gateway)
// also replace the table at start with the range they bound (Reloader::commit), so no queue of the rule is left
// without a reader. nullopt and `err` on bad input.
inline constexpr unsigned kMaxAutoQueues = 16;
std::optional<std::uint16_t> resolve_queue_total(const std::string& text, unsigned cpus, std::ostream& err);

// "a, b,c" -> {"a", "b", "c"} (blank items dropped).
std::vector<std::string> split_csv(const std::string& s);

// Parses argv (after the subcommand name). Returns false and prints to `err` on bad usage; sets `help` when
// --help was given (usage already printed to `out`).
bool parse(int argc, char** argv, const std::string& usage, po::options_description& d,
           const po::positional_options_description& pos, CommonOptions& o, bool& help, std::ostream& out,
           std::ostream& err);

}  // namespace nfegress::cli
