// tests/policy/load_test_util.hpp — helpers for the loader and validation tests: load a YAML string, find
// diagnostics by text. Test-only.
#pragma once
#include <string>
#include <vector>

#include "policy/load.hpp"
#include "policy/validate.hpp"

namespace nfegress::policy::testing {

// Loads `yaml` as file "t.yaml" and validates it (like load_paths, without the file system).
inline LoadResult load_and_validate(const std::string& yaml, const ValidateOptions& vo = {},
                                    const LoadOptions& lo = {}) {
  auto r = load_buffer("t.yaml", yaml, lo);
  auto v = validate(r.resources, vo);
  r.diagnostics.insert(r.diagnostics.end(), v.begin(), v.end());
  return r;
}

// Every diagnostic, formatted.
inline std::vector<std::string> formatted(const Diagnostics& d) {
  std::vector<std::string> out;
  for (const auto& x : d) out.push_back(x.format());
  return out;
}

inline std::vector<std::string> errors(const Diagnostics& d) {
  std::vector<std::string> out;
  for (const auto& x : d)
    if (x.severity == Severity::Error) out.push_back(x.format());
  return out;
}

inline std::vector<std::string> warnings(const Diagnostics& d) {
  std::vector<std::string> out;
  for (const auto& x : d)
    if (x.severity == Severity::Warning) out.push_back(x.format());
  return out;
}

}  // namespace nfegress::policy::testing
