// policy/load_reader.cpp — layer: input (internal to the loader). See load_reader.hpp.
#include "policy/load_reader.hpp"

namespace nfegress::policy::detail {

SourceLoc Reader::loc(std::uint32_t n) const {
  const auto& x = doc_.at(n);
  return SourceLoc{file_, x.line, x.column};
}

void Reader::add(Severity s, std::uint32_t n, const std::string& field, std::string message) {
  Diagnostic d;
  d.severity = s;
  d.loc = loc(n);
  d.kind = kind_;
  d.ns = meta_.ns;
  d.name = meta_.name;
  d.field = field;
  d.message = std::move(message);
  diags_.push_back(std::move(d));
}

void Reader::error(std::uint32_t n, const std::string& field, std::string message) {
  add(Severity::Error, n, field, std::move(message));
}

void Reader::warning(std::uint32_t n, const std::string& field, std::string message) {
  add(Severity::Warning, n, field, std::move(message));
}

std::optional<std::uint32_t> Reader::child(std::uint32_t map, std::string_view key) const {
  std::uint32_t out = 0;
  if (!doc_.find(map, key, out)) return std::nullopt;
  const auto& n = doc_.at(out);
  if (n.type == yaml::NodeType::Scalar && yaml::resolve(n) == yaml::ScalarTag::Null) return std::nullopt;
  return out;
}

bool Reader::is_map(std::uint32_t n, const std::string& field) {
  if (doc_.at(n).type == yaml::NodeType::Map) return true;
  error(n, field, std::string("expected a mapping, got ") + yaml::type_name(doc_.at(n)));
  return false;
}

bool Reader::is_seq(std::uint32_t n, const std::string& field) {
  if (doc_.at(n).type == yaml::NodeType::Seq) return true;
  error(n, field, std::string("expected a list, got ") + yaml::type_name(doc_.at(n)));
  return false;
}

bool Reader::str_node(std::uint32_t n, const std::string& field, std::string& out) {
  const auto& x = doc_.at(n);
  if (x.type == yaml::NodeType::Scalar && yaml::resolve(x) == yaml::ScalarTag::String) {
    out = x.value;
    return true;
  }
  error(n, field, std::string("expected a string, got ") + yaml::type_name(x));
  return false;
}

bool Reader::str(std::uint32_t map, std::string_view key, const std::string& parent, std::string& out) {
  const auto c = child(map, key);
  if (!c) return false;
  const std::string field = join(parent, key);
  record(field, *c);
  return str_node(*c, field, out);
}

bool Reader::str(std::uint32_t map, std::string_view key, const std::string& parent,
                 std::optional<std::string>& out) {
  std::string v;
  if (!str(map, key, parent, v)) return false;
  out = std::move(v);
  return true;
}

bool Reader::port(std::uint32_t map, std::string_view key, const std::string& parent,
                  std::optional<std::uint16_t>& out) {
  const auto c = child(map, key);
  if (!c) return false;
  const std::string field = join(parent, key);
  record(field, *c);
  const auto& x = doc_.at(*c);
  if (x.type != yaml::NodeType::Scalar || yaml::resolve(x) != yaml::ScalarTag::Int) {
    error(*c, field, std::string("expected an integer, got ") + yaml::type_name(x));
    return false;
  }
  // Plain decimal only (YAML also allows 0x/0o; a port written so is still a port).
  long long v = 0;
  bool neg = false;
  std::string_view s = x.value;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
    base = s[1] == 'x' ? 16 : 8;
    s.remove_prefix(2);
  }
  for (char ch : s) {
    const int d = ch >= 'a' ? ch - 'a' + 10 : ch >= 'A' ? ch - 'A' + 10 : ch - '0';
    v = v * base + d;
    if (v > 1'000'000) break;  // clearly out of range; stop before overflow
  }
  if (neg) v = -v;
  if (v < 1 || v > 65535) {
    error(*c, field, "invalid port " + std::string(x.value) + ": must be between 1 and 65535");
    return false;
  }
  out = static_cast<std::uint16_t>(v);
  return true;
}

}  // namespace nfegress::policy::detail
