// init/program.hpp — layer: command line. The steps every subcommand that compiles shares: load the input
// (load_input, the one place sources are wired), print its diagnostics, compile for --namespace, choose the queue
// implementation (--queue-impl or one probe of the kernel) and build the ruleset. `init`, `status`, `export` and
// `explain` call these so they agree on the plan. Must not: make policy decisions or build netlink messages.
#pragma once
#include <iosfwd>
#include <optional>
#include <string>

#include "init/cli.hpp"
#include "netfilter/ruleset.hpp"
#include "netfilter/writer.hpp"
#include "policy/plan.hpp"

namespace nfegress::cli {

// PATHS and --namespace given? Prints the usage error (exit 2 territory) to `err` when not.
bool require_compile_input(const CommonOptions& o, const char* command, const char* usage, std::ostream& err);

// load_input() + compile(). Every diagnostic (load and compile, warnings too) goes to `err`, one line each.
// nullopt when the input has errors: nothing may be compiled or programmed from a half-valid set.
std::optional<policy::Plan> compile_input(CommonOptions& o, const char* command, std::ostream& err);

// Opens the netfilter socket; prints "nfegress COMMAND: ..." to `err` on failure (not root, no netns, ...).
std::optional<netfilter::Writer> open_writer(const char* command, std::ostream& err);

// --queue-impl native|compat is taken as given. auto probes the kernel once through `w` (check-only batches,
// nothing stays) and logs one line to `log` saying what was chosen and why. Without a writer (`w` null, e.g.
// export run unprivileged) auto means compat, the implementation every kernel with nft_compat has.
std::optional<netfilter::QueueImpl> choose_queue(const CommonOptions& o, netfilter::Writer* w, const char* command,
                                                 std::ostream& log);

// Number of elements over all sets and maps (for summaries).
std::size_t element_count(const netfilter::Ruleset& rs);

}  // namespace nfegress::cli
