// policy/hostname_index.hpp — layer: pure decision (matcher internals). Indexes route hostnames of one port so
// a lookup costs one hash probe for the exact name plus one per label of the request host, whatever the
// number of routes. Must not: allocate on lookup, know about rules or backends.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace nfegress::policy::detail {

struct StringViewHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// Host match tiers in §5 precedence order: exact > longer wildcard suffix > shorter suffix > no hostnames.
enum class HostTier : std::uint8_t { Exact, Wildcard, Any };

class HostIndex {
 public:
  // `hostnames` lowercased; "*.example.com" is a wildcard; an empty list means "any host (and no host)".
  void add(std::uint32_t entry, const std::vector<std::string>& hostnames) {
    if (hostnames.empty()) {
      any_.push_back(entry);
      return;
    }
    for (const auto& h : hostnames) {
      std::string lower = h;
      for (auto& c : lower)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (!lower.empty() && lower.back() == '.') lower.pop_back();
      auto& list = lower.rfind("*.", 0) == 0 ? wild_[lower.substr(2)] : exact_[lower];
      if (list.empty() || list.back() != entry) list.push_back(entry);
    }
  }

  // Calls f(tier, matched_suffix_or_name, entries) for each non-empty tier that applies to `host` (normalized:
  // lowercase, no trailing dot), best first, until f returns true. Returns whether f returned true. A request
  // without a host only reaches routes without hostnames.
  template <class F>
  bool visit(std::optional<std::string_view> host, F&& f) const {
    if (host && !host->empty()) {
      if (auto it = exact_.find(*host); it != exact_.end())
        if (f(HostTier::Exact, std::string_view(it->first), it->second)) return true;
      if (!wild_.empty()) {
        // "*.example.com" matches one or more labels in front: try every proper suffix, longest first.
        for (auto dot = host->find('.'); dot != std::string_view::npos; dot = host->find('.', dot + 1)) {
          const std::string_view suffix = host->substr(dot + 1);
          if (suffix.empty()) break;
          if (auto it = wild_.find(suffix); it != wild_.end())
            if (f(HostTier::Wildcard, std::string_view(it->first), it->second)) return true;
        }
      }
    }
    if (!any_.empty() && f(HostTier::Any, std::string_view{}, any_)) return true;
    return false;
  }

  std::size_t size() const { return exact_.size() + wild_.size() + (any_.empty() ? 0 : 1); }

 private:
  std::unordered_map<std::string, std::vector<std::uint32_t>, StringViewHash, std::equal_to<>> exact_;
  std::unordered_map<std::string, std::vector<std::uint32_t>, StringViewHash, std::equal_to<>> wild_;
  std::vector<std::uint32_t> any_;
};

}  // namespace nfegress::policy::detail
