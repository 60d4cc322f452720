// policy/diagnostic.cpp — layer: pure model.
#include "policy/diagnostic.hpp"

namespace nfegress::policy {

std::string Diagnostic::format() const {
  std::string out;
  if (!loc.file.empty()) {
    out += loc.file;
    if (loc.line > 0) out += ":" + std::to_string(loc.line);
    out += ": ";
  }
  if (severity == Severity::Warning) out += "warning: ";
  if (!kind.empty()) {
    out += kind + " " + ns + "/" + name + ": ";
  }
  if (!field.empty()) out += field + ": ";
  out += message;
  return out;
}

}  // namespace nfegress::policy
