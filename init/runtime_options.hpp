// init/runtime_options.hpp — layer: command line. What the two enforcing commands (`enforce`, `node`/`gateway`)
// take alike from the kernel options for the queue runtime, and their exit summary. No policy logic.
#pragma once
#include "enforcer/counters.hpp"
#include "enforcer/runtime.hpp"
#include "init/cli.hpp"

namespace nfegress::cli {

// The name-binding mode, --strip-ech, the resolvers asked on a miss (the namespace's resolv.conf, a loopback stub
// included: the enforcer reads that answer on its own socket and learns nothing from lo; without any, the
// resolvers answers are learned from) and one queue per --queue-total (fail-open only with --fail-open).
void fill_runtime_options(const CommonOptions& o, enforcer::RuntimeOptions& ro);

// Every counter of the struct (enforcer/counters.hpp lists them), in list order, on one line of stderr.
void print_counters(const enforcer::Counters& c);

}  // namespace nfegress::cli
