// init/kube/json_field.hpp — layer: input (pure). Reading fields of API objects without throwing: a member that
// may be absent or of any type, and a value shortened for an error message. Must not: throw, do I/O.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace nfegress::kube {

// The member `name` of `j` when `j` is an object holding it, else nullptr.
inline const nlohmann::json* member(const nlohmann::json& j, const char* name) {
  if (!j.is_object()) return nullptr;
  const auto it = j.find(name);
  return it == j.end() ? nullptr : &*it;
}

// `j` quoted for an error message, at most 64 characters.
inline std::string shown(const nlohmann::json& j) {
  std::string s = j.is_string() ? j.get<std::string>() : j.dump();
  if (s.size() > 64) s = s.substr(0, 61) + "...";
  return "'" + s + "'";
}

}  // namespace nfegress::kube
