// policy/load.hpp — layer: input. Reads manifests (YAML multi-doc, JSON, `kind: List`) from files, directories
// (recursive *.yaml, *.yml, *.json) or "-" (stdin) into a ResourceSet, with source locations for every field.
// Pure apart from reading the named files; never throws on bad input, reports Diagnostics instead.
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/diagnostic.hpp"
#include "policy/model.hpp"
#include "policy/validate.hpp"

namespace nfegress::policy {

struct LoadOptions {
  std::string default_namespace = "default";
  bool verbose = false;  // report skipped kinds as notes
  ValidateOptions validation;  // what load_paths() passes to validate()
  // Called first on each helper thread of a parallel load (a stream of 1 MiB or more, load_internal.hpp) with
  // about the bytes it will parse: the command line prepares that thread's malloc arena (init/heap.hpp).
  std::function<void(std::size_t)> prepare_thread = {};
};

struct LoadResult {
  ResourceSet resources;
  Diagnostics diagnostics;          // syntax and type errors, plus validation (see validate.hpp)
  std::vector<std::string> skipped; // "FILE:LINE: kind Foo skipped" (for --verbose)
  std::vector<std::string> files;   // files read, in order
};

// Parses one in-memory document stream; `name` is used in locations. Used by the fuzz target.
LoadResult load_buffer(std::string_view name, std::string_view bytes, const LoadOptions& options = {});
// Reads every path (file, directory, "-"), then validates the whole set (validate()).
LoadResult load_paths(const std::vector<std::string>& paths, const LoadOptions& options = {});
// Validates the whole set (validate()) and orders the findings by input (the order of `files`), then line. Used
// by load_paths() and by other sources that assemble a LoadResult from load_buffer() calls (init/kube).
void finish_load(LoadResult& result, const LoadOptions& options);

}  // namespace nfegress::policy
