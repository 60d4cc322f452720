// tests/enforcer/program_ruleset.cpp — test helper for the enforcer's namespace tests until `nfegress init` is in
// main: compiles POLICY for NS and programs the kernel contract (netfilter/ruleset.cpp) in the current network
// namespace. usage: program_ruleset POLICY NS CLUSTER_CIDR
#include <iostream>

#include "netfilter/batch.hpp"
#include "netfilter/ruleset.hpp"
#include "netfilter/writer.hpp"
#include "policy/compile.hpp"
#include "policy/load.hpp"

int main(int argc, char** argv) {
  using namespace nfegress;
  if (argc != 4) {
    std::cerr << "usage: program_ruleset POLICY NS CLUSTER_CIDR\n";
    return 2;
  }
  const auto loaded = policy::load_paths({argv[1]});
  for (const auto& d : loaded.diagnostics) std::cerr << d.format() << "\n";
  if (policy::has_errors(loaded.diagnostics)) return 1;
  policy::CompileOptions o;
  o.cluster_networks = {*policy::parse_prefix(argv[3])};
  const auto plan = policy::compile(loaded.resources, argv[2], o);
  netfilter::KernelError err;
  auto w = netfilter::Writer::open(err);
  if (!w) {
    std::cerr << err.format() << "\n";
    return 1;
  }
  std::string log;
  const auto q = w->probe_queue(err, log);
  if (!q) {
    std::cerr << err.format() << "\n";
    return 1;
  }
  const auto b = netfilter::replace_batch(netfilter::build_ruleset(plan, *q), w->next_seq());
  if (auto e = w->send(b)) {
    std::cerr << e->format() << "\n";
    return 1;
  }
  std::cerr << log << "\n";
  return 0;
}
