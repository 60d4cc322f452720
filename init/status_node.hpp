// init/status_node.hpp — layer: command line. `nfegress status PATHS...` against a node or gateway table (issue 18):
// the table the same inputs would program, for comparison with the kernel's. A gateway's clients come from
// --client/--clients-file; a node's pods are not known offline, so its clients are read back from the programmed
// clients maps (then those maps are taken as they are, not compared). Must not: touch the kernel (the caller reads
// it), decide policy (enforcer::prepare_policy compiles, as `nfegress node`/`gateway` do).
#pragma once
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "init/cli.hpp"
#include "netfilter/canonical.hpp"
#include "policy/clients.hpp"
#include "policy/load.hpp"

namespace nfegress::cli {

// The namespace the clients of plan `global` get when read back: a name no manifest can give resources to (not a
// valid namespace name), so its plan is the global one.
inline constexpr const char* kGlobalPlanClient = "(global plan)";

// The clients in a programmed node table's clients4/clients6 (canonical lines "elem clients4 key=HEX [end] goto
// PLAN"), each with a namespace whose plan is PLAN: `ns_X` -> X, `global` -> kGlobalPlanClient. An element that is
// no prefix or goes to no plan is left out (the comparison then shows its line as unexpected).
std::vector<policy::Client> programmed_clients(const netfilter::Canonical& c);

// The node table `nfegress node`/`gateway` would program from `input` for `clients`; nullopt after printing the
// errors to `err`. `anchor`: the SYN-ACK anchor as probed (choose_anchor).
std::optional<netfilter::Ruleset> node_desired(const CommonOptions& o, const policy::LoadResult& input,
                                               std::vector<policy::Client> clients, netfilter::QueueImpl queue,
                                               bool anchor, std::ostream& err);

}  // namespace nfegress::cli
