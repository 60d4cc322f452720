// policy/hostname_index.hpp — layer: pure decision (matcher internals). Indexes route hostnames of one port so
// a lookup costs one hash probe for the exact name plus one per label of the request host, whatever the
// number of routes (probes for lengths and label counts no name has are skipped). Must not: allocate on lookup,
// know about rules or backends.
#pragma once
#include <algorithm>
#include <bitset>
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

// Host match tiers in precedence order (docs/policy-reference.md, "Routes"): exact > longer wildcard suffix > shorter
// suffix > no hostnames.
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
      const bool wild = lower.rfind("*.", 0) == 0;
      if (wild) lower.erase(0, 2);
      if (wild) wild_labels_ |= label_bit(label_count(lower));
      else exact_lengths_[std::min<std::size_t>(lower.size(), kMaxLength)] = true;
      auto& list = wild ? wild_[lower] : exact_[lower];
      if (list.empty() || list.back() != entry) list.push_back(entry);
    }
  }

  // Calls f(tier, matched_suffix_or_name, entries) for each non-empty tier that applies to `host` (normalized:
  // lowercase, no trailing dot), best first, until f returns true. Returns whether f returned true. A request
  // without a host only reaches routes without hostnames.
  template <class F>
  bool visit(std::optional<std::string_view> host, F&& f) const {
    if (host && !host->empty()) {
      // Probe the hash map only for a length some exact name has (a miss then costs no hashing).
      if (exact_lengths_[std::min<std::size_t>(host->size(), kMaxLength)])
        if (auto it = exact_.find(*host); it != exact_.end())
          if (f(HostTier::Exact, std::string_view(it->first), it->second)) return true;
      if (!wild_.empty()) {
        // "*.example.com" matches one or more labels in front: try every proper suffix, longest first, but
        // only suffixes with as many labels as some wildcard has.
        std::size_t labels = label_count(*host);
        for (auto dot = host->find('.'); dot != std::string_view::npos; dot = host->find('.', dot + 1)) {
          const std::string_view suffix = host->substr(dot + 1);
          if (suffix.empty()) break;
          if (!(wild_labels_ & label_bit(--labels))) continue;  // the suffix has one label fewer
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
  static constexpr std::size_t kMaxLength = 255;  // longer names share the last slot
  static std::size_t label_count(std::string_view name) {
    std::size_t labels = 1;
    for (char c : name) labels += c == '.';
    return labels;
  }
  // Bit min(labels, 64) - 1: "example.com" -> bit 1; bit 63 stands for 64 labels or more.
  static std::uint64_t label_bit(std::size_t labels) {
    return std::uint64_t{1} << (std::min<std::size_t>(std::max<std::size_t>(labels, 1), 64) - 1);
  }

  std::bitset<kMaxLength + 1> exact_lengths_;  // lengths of the exact names
  std::uint64_t wild_labels_ = 0;              // label counts of the wildcard suffixes (label_bit)
  std::unordered_map<std::string, std::vector<std::uint32_t>, StringViewHash, std::equal_to<>> exact_;
  std::unordered_map<std::string, std::vector<std::uint32_t>, StringViewHash, std::equal_to<>> wild_;
  std::vector<std::uint32_t> any_;
};

}  // namespace nfegress::policy::detail
