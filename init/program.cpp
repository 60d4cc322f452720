// init/program.cpp — layer: command line. See program.hpp.
#include "init/program.hpp"

#include <ostream>

#include "init/source.hpp"
#include "policy/compile.hpp"

namespace nfegress::cli {

bool require_compile_input(const CommonOptions& o, const char* command, const char* usage, std::ostream& err) {
  if (o.paths.empty()) {
    err << "nfegress " << command << ": no input (give files, directories or '-')\n" << usage << "\n";
    return false;
  }
  if (o.ns.empty()) {
    err << "nfegress " << command << ": --namespace is required (the client namespace to compile for)\n"
        << usage << "\n";
    return false;
  }
  return true;
}

std::optional<policy::Plan> compile_input(CommonOptions& o, const char* command, std::ostream& err) {
  // Validation warns about the same global namespace, cluster networks and opaque ports the compiler uses.
  o.load.validation.global_ns = o.compile.global_ns;
  o.load.validation.cluster_networks = o.compile.cluster_networks;
  o.load.validation.default_opaque_ports = o.compile.default_opaque_ports;
  const auto input = load_input(o);
  for (const auto& d : input.diagnostics) err << d.format() << "\n";
  if (o.load.verbose)
    for (const auto& s : input.skipped) err << s << "\n";
  if (policy::has_errors(input.diagnostics)) {
    err << "nfegress " << command << ": the manifests are invalid; nothing was changed\n";
    return std::nullopt;
  }
  auto plan = policy::compile(input.resources, o.ns, o.compile, o.kernel);
  for (const auto& d : plan.diagnostics) err << d.format() << "\n";
  if (policy::has_errors(plan.diagnostics)) {
    err << "nfegress " << command << ": the policy cannot be compiled; nothing was changed\n";
    return std::nullopt;
  }
  return plan;
}

std::optional<netfilter::Writer> open_writer(const char* command, std::ostream& err) {
  netfilter::KernelError e;
  auto w = netfilter::Writer::open(e);
  if (!w) err << "nfegress " << command << ": " << e.format() << " (needs CAP_NET_ADMIN in this network namespace)\n";
  return w;
}

std::optional<netfilter::QueueImpl> choose_queue(const CommonOptions& o, netfilter::Writer* w, const char* command,
                                                 std::ostream& log) {
  using Q = policy::KernelOptions::Queue;
  if (o.kernel.queue == Q::Native) {
    log << "nfegress " << command << ": queue: native nft queue expression (--queue-impl native)\n";
    return netfilter::QueueImpl::Native;
  }
  if (o.kernel.queue == Q::Compat) {
    log << "nfegress " << command << ": queue: xt NFQUEUE via nft_compat (--queue-impl compat)\n";
    return netfilter::QueueImpl::Compat;
  }
  if (!w) {
    log << "nfegress " << command << ": queue: xt NFQUEUE via nft_compat (not probed; --queue-impl to choose)\n";
    return netfilter::QueueImpl::Compat;
  }
  netfilter::KernelError e;
  std::string line;
  auto q = w->probe_queue(e, line);
  if (!q) {
    log << "nfegress " << command << ": " << e.format() << "\n";
    return std::nullopt;
  }
  log << "nfegress " << command << ": " << line << "\n";
  return q;
}

std::size_t element_count(const netfilter::Ruleset& rs) {
  std::size_t n = 0;
  for (const auto& s : rs.sets) n += s.elements.size();
  return n;
}

}  // namespace nfegress::cli
