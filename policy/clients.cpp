// policy/clients.cpp — layer: pure model. See clients.hpp. Must not: read files, touch the kernel.
#include "policy/clients.hpp"

#include <algorithm>
#include <tuple>

namespace nfegress::policy {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string text(const Client& c) { return format_prefix(c.prefix) + "=" + c.ns; }

bool before(const Client& a, const Client& b) {
  return std::tie(a.prefix.family, a.prefix.base, a.prefix.len) < std::tie(b.prefix.family, b.prefix.base, b.prefix.len);
}

}  // namespace

bool valid_namespace(std::string_view ns) {
  if (ns.empty() || ns.size() > 63 || ns.front() == '-' || ns.back() == '-') return false;
  return std::all_of(ns.begin(), ns.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

std::optional<Client> parse_client(std::string_view in, const std::string& where, std::string& error) {
  const std::string_view s = trim(in);
  const auto eq = s.find('=');
  if (eq == std::string_view::npos) {
    error = where + ": '" + std::string(s) + "' is not CIDR=NAMESPACE";
    return std::nullopt;
  }
  const std::string_view cidr = trim(s.substr(0, eq)), ns = trim(s.substr(eq + 1));
  const auto prefix = parse_prefix(cidr);
  if (!prefix) {
    error = where + ": '" + std::string(cidr) + "' is not an IP address or CIDR";
    return std::nullopt;
  }
  if (!valid_namespace(ns)) {
    error = where + ": '" + std::string(ns) + "' is not a namespace name (lowercase letters, digits, '-', at most 63)";
    return std::nullopt;
  }
  return Client{*prefix, std::string(ns), where};
}

std::vector<std::string> parse_clients_file(std::string_view text, const std::string& file, std::vector<Client>& out) {
  std::vector<std::string> errors;
  std::size_t line = 0;
  while (!text.empty()) {
    ++line;
    const auto nl = text.find('\n');
    const std::string_view l = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (l.empty() || l.front() == '#') continue;
    std::string error;
    if (auto c = parse_client(l, file + ":" + std::to_string(line), error)) out.push_back(std::move(*c));
    else errors.push_back(std::move(error));
  }
  return errors;
}

std::vector<std::string> normalize_clients(std::vector<Client>& clients) {
  std::stable_sort(clients.begin(), clients.end(), before);
  std::vector<std::string> errors;
  std::vector<Client> out;
  out.reserve(clients.size());
  for (auto& c : clients) {
    if (!out.empty() && out.back().prefix == c.prefix && out.back().ns == c.ns) continue;
    // Kept entries are disjoint and sorted by first address, so by last address too: only the last kept one of
    // the family can reach this one.
    const Client* hit = !out.empty() && out.back().prefix.intersects(c.prefix) ? &out.back() : nullptr;
    if (hit) {
      errors.push_back(c.where + ": " + text(c) + " overlaps " + text(*hit) + " (" + hit->where + ")");
      continue;
    }
    out.push_back(std::move(c));
  }
  clients = std::move(out);
  return errors;
}

const Client* find_client(const std::vector<Client>& clients, const IpAddr& a) {
  // Disjoint and sorted: the last prefix starting at or before `a` is the only candidate.
  auto it = std::upper_bound(clients.begin(), clients.end(), a, [](const IpAddr& x, const Client& c) {
    return std::tie(x.family, x.value) < std::tie(c.prefix.family, c.prefix.base);
  });
  if (it == clients.begin()) return nullptr;
  --it;
  return it->prefix.contains(a) ? &*it : nullptr;
}

}  // namespace nfegress::policy
