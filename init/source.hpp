// init/source.hpp — layer: command line. Where the resources come from: manifest files (default) or, with
// `--source kube`, the Kubernetes API (issue 7). Every subcommand that reads policy calls load_input(), so a new
// source is wired in one place. No policy logic here.
#pragma once
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>

#include "init/cli.hpp"
#include "init/kube/follow.hpp"
#include "policy/load.hpp"

namespace nfegress::cli {

// Loads and validates the resources the options name (validation uses the compile options: global namespace,
// cluster networks, opaque ports). Never throws on bad input: problems are Diagnostics.
policy::LoadResult load_input(const CommonOptions& o);

// For long-running commands (enforce): with --source kube, a started follower that calls `apply` (on its own
// thread) with every new version of the input: list, then watch, debounced; it retries while the API is down.
// `failed` (may be empty) hears every list that failed after its bounded retries (the follower then backs off and
// tries again). nullptr with --source files (the caller's file watch does that job there).
std::unique_ptr<kube::Follower> follow_input(const CommonOptions& o, std::function<void(policy::LoadResult)> apply,
                                             std::function<void(const std::string&)> failed = {});

// load_input() for the subcommands that compile: every diagnostic goes to `err` (warnings too, one line each);
// nullopt when there is an error (nothing must be compiled or programmed from a half-valid set).
std::optional<policy::LoadResult> load_valid(const CommonOptions& o, const char* command, std::ostream& err);

// --namespace is required by every subcommand that compiles; prints the usage error when missing.
bool require_namespace(const CommonOptions& o, const char* command, std::ostream& err);

}  // namespace nfegress::cli
