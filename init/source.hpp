// init/source.hpp — layer: command line. Where the resources come from: manifest files (default) or, with
// `--source kube`, the Kubernetes API (issue 7). Every subcommand that reads policy calls load_input(), so a new
// source is wired in one place. No policy logic here.
#pragma once
#include "init/cli.hpp"
#include "policy/load.hpp"

namespace nfegress::cli {

// Loads and validates the resources the options name. Never throws on bad input: problems are Diagnostics.
policy::LoadResult load_input(const CommonOptions& o);

}  // namespace nfegress::cli
