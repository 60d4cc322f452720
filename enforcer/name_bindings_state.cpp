// enforcer/name_bindings_state.cpp — layer: pure state. The bindings' state file text (--state-dir), so a restarted
// enforcer does not start with every cached name a miss. Remaining lifetimes are stored, with the wall-clock time
// of saving: the steady clock restarts with the machine, the wall clock carries across. Must not: read a clock,
// touch a file (the caller reads and writes it), throw, log.
#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <string>
#include <vector>

#include "enforcer/dns_name.hpp"
#include "enforcer/name_bindings.hpp"

namespace nfegress::enforcer {
namespace {

constexpr std::string_view kMagic = "nfegress-bindings";
constexpr std::string_view kVersion = "1";

// Splits a line at single spaces into exactly `n` non-empty fields.
bool fields(std::string_view line, std::size_t n, std::vector<std::string_view>& out) {
  out.clear();
  for (;;) {
    const std::size_t sp = line.find(' ');
    out.push_back(line.substr(0, sp));
    if (out.back().empty() || out.size() > n) return false;
    if (sp == std::string_view::npos) break;
    line.remove_prefix(sp + 1);
  }
  return out.size() == n;
}

template <class T>
bool number(std::string_view s, T& v) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

std::int64_t unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string NameBindings::save(Clock::time_point now, std::chrono::system_clock::time_point wall_now) const {
  std::vector<std::string_view> names;
  names.reserve(map_.size());
  for (const auto& [name, entry] : map_) names.push_back(name);
  std::sort(names.begin(), names.end());
  std::string out;
  out.append(kMagic).append(" ").append(kVersion).append(" ").append(std::to_string(unix_seconds(wall_now)));
  out.push_back('\n');
  for (const std::string_view name : names) {
    for (const Slot& s : map_.find(name)->second.slots) {
      if (s.expires <= now) continue;
      const auto left = std::chrono::ceil<std::chrono::seconds>(s.expires - now).count();
      out.append(name).append(" ").append(policy::format_ip(s.family, s.value)).append(" ");
      out.append(std::to_string(left)).push_back('\n');
    }
  }
  return out;
}

bool NameBindings::load(std::string_view text, Clock::time_point now, std::chrono::system_clock::time_point wall_now,
                        std::string& error) {
  struct Row {
    std::string name;
    policy::IpAddr addr;
    std::int64_t left = 0;
  };
  std::vector<Row> rows;
  std::vector<std::string_view> f;
  std::int64_t elapsed = 0;
  bool header = false;
  std::size_t lineno = 0;
  const auto bad = [&](const std::string& why) {
    error = "line " + std::to_string(lineno) + ": " + why;
    return false;
  };
  while (!text.empty()) {
    ++lineno;
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty()) continue;
    if (!header) {
      std::int64_t saved = 0;
      if (!fields(line, 3, f) || f[0] != kMagic)
        return bad("not a bindings state file (want \"nfegress-bindings 1 <unix seconds>\")");
      if (f[1] != kVersion) return bad("version " + std::string(f[1]) + " (this build reads 1)");
      if (!number(f[2], saved)) return bad("saving time \"" + std::string(f[2]) + "\" is not an integer");
      elapsed = std::max<std::int64_t>(0, unix_seconds(wall_now) - saved);
      header = true;
      continue;
    }
    if (!fields(line, 3, f)) return bad("want \"<name> <address> <seconds>\"");
    std::array<char, kMaxDnsName> buf;
    const std::size_t n = normalize_dns_name(f[0], buf.data(), buf.size());
    if (n == 0) return bad("\"" + std::string(f[0]) + "\" is not a host name");
    const auto addr = policy::parse_ip(f[1]);
    if (!addr) return bad("\"" + std::string(f[1]) + "\" is not an IP address");
    std::int64_t left = 0;
    if (!number(f[2], left) || left < 0) return bad("remaining seconds \"" + std::string(f[2]) + "\" invalid");
    rows.push_back(Row{std::string(buf.data(), n), *addr, left});
  }
  if (!header) {
    lineno = std::max<std::size_t>(lineno, 1);
    return bad("empty (no header)");
  }
  for (const Row& r : rows) {
    const std::int64_t left = std::min<std::int64_t>(r.left - elapsed, limits_.max_ttl.count());
    if (left > 0) add(r.name, r.addr, now + std::chrono::seconds(left), now);
  }
  error.clear();
  return true;
}

}  // namespace nfegress::enforcer
