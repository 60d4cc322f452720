// policy/diagnostic.hpp — layer: pure model. Errors and warnings as values that say where they came from.
#pragma once
#include <string>
#include <vector>

namespace nfegress::policy {

// Where a value was read: file (or "-" for stdin, "<kube>" for the API), 1-based line and column.
struct SourceLoc {
  std::string file;
  int line = 0;
  int column = 0;
  friend bool operator==(const SourceLoc&, const SourceLoc&) = default;
};

enum class Severity { Error, Warning };

// Formats as `FILE:LINE: KIND NAMESPACE/NAME: FIELD.PATH: message` (parts that are unknown are left out).
struct Diagnostic {
  Severity severity = Severity::Error;
  SourceLoc loc;
  std::string kind;   // "EgressNetwork", "HTTPRoute", ...; empty for file-level errors
  std::string ns;
  std::string name;
  std::string field;  // "spec.networks[0].except[1]"
  std::string message;
  // Optional Linkerd-style status this finding implies for the resource: condition "Accepted" or "ResolvedRefs"
  // is False with `reason` (e.g. "RouteReasonConflicted"). Empty when the finding sets no condition.
  std::string condition = {};  // (default initialisers keep positional aggregate inits warning-free)
  std::string reason = {};

  std::string format() const;
  friend bool operator==(const Diagnostic&, const Diagnostic&) = default;
};

using Diagnostics = std::vector<Diagnostic>;

inline bool has_errors(const Diagnostics& d) {
  for (const auto& x : d)
    if (x.severity == Severity::Error) return true;
  return false;
}

}  // namespace nfegress::policy
