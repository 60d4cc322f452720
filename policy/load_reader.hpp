// policy/load_reader.hpp — layer: input (internal to the loader). Typed, located access to one resource of a
// yaml::Document: every getter checks the YAML type, records where the field was read (ObjectMeta::field_locs)
// and reports a wrong type as an error Diagnostic instead of failing. A null value counts as absent. No I/O.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "policy/diagnostic.hpp"
#include "policy/model.hpp"
#include "policy/yaml_tree.hpp"

namespace nfegress::policy::detail {

class Reader {
 public:
  Reader(const yaml::Document& doc, const std::string& file, Diagnostics& diags, ObjectMeta& meta, std::string kind)
      : doc_(doc), file_(file), diags_(diags), meta_(meta), kind_(std::move(kind)) {}

  const yaml::Document& doc() const { return doc_; }
  const yaml::Node& node(std::uint32_t n) const { return doc_.at(n); }
  std::uint32_t size(std::uint32_t seq) const { return doc_.at(seq).count; }
  std::uint32_t item(std::uint32_t seq, std::uint32_t i) const { return doc_.kid(doc_.at(seq), i); }

  SourceLoc loc(std::uint32_t n) const;
  void error(std::uint32_t n, const std::string& field, std::string message);
  void warning(std::uint32_t n, const std::string& field, std::string message);
  void record(std::string_view field, std::uint32_t n) { meta_.field_locs.set(field, node(n).line, node(n).column); }

  // Child of a mapping; nullopt when absent or null.
  std::optional<std::uint32_t> child(std::uint32_t map, std::string_view key) const;
  // Type checks (error on mismatch). `field` is the path for the message.
  bool is_map(std::uint32_t n, const std::string& field);
  bool is_seq(std::uint32_t n, const std::string& field);
  // Reads a string field of `map` into `out` (unchanged when absent). Returns true when present and valid.
  bool str(std::uint32_t map, std::string_view key, const std::string& parent, std::string& out);
  bool str(std::uint32_t map, std::string_view key, const std::string& parent, std::optional<std::string>& out);
  // A scalar that must be a string (list items).
  bool str_node(std::uint32_t n, const std::string& field, std::string& out);
  // A port (1-65535).
  bool port(std::uint32_t map, std::string_view key, const std::string& parent, std::optional<std::uint16_t>& out);

  ObjectMeta& meta() { return meta_; }
  const std::string& file() const { return file_; }

 private:
  void add(Severity s, std::uint32_t n, const std::string& field, std::string message);

  const yaml::Document& doc_;
  const std::string& file_;
  Diagnostics& diags_;
  ObjectMeta& meta_;
  std::string kind_;
};

inline std::string join(const std::string& parent, std::string_view key) {
  std::string s;
  s.reserve(parent.size() + key.size() + 1);
  s += parent;
  if (!parent.empty()) s += '.';
  s += key;
  return s;
}

inline std::string index(const std::string& parent, std::uint32_t i) {
  return parent + "[" + std::to_string(i) + "]";
}

}  // namespace nfegress::policy::detail
