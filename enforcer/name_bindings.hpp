// enforcer/name_bindings.hpp — layer: pure state (issue 17: names bound to addresses). Which addresses each host
// name resolved to in the namespace's own DNS answers, until when; a flow allowed by a hostname match goes only to
// one of them. Bounded: at most max_names names (a full store evicts the name expiring first) and
// max_addrs_per_name addresses per name (the newest kept); every bound hit is counted. Must not: read a clock
// (`now` is given), touch a socket or a file (the state file's text is built and read here, written elsewhere),
// throw, log.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "enforcer/dns_answer.hpp"
#include "enforcer/flow.hpp"
#include "policy/ip.hpp"

namespace nfegress::enforcer {

struct BindingLimits {
  std::size_t max_names = 65536;        // names held; a full store evicts the entry expiring first
  std::size_t max_addrs_per_name = 32;  // newest kept
  std::chrono::seconds min_ttl{60};     // --dns-min-ttl: a binding lives at least this long
  std::chrono::seconds max_ttl{86400};
  std::chrono::seconds grace{300};  // after expiry, still good for connections that were bound before
};

struct BindingCounters {
  std::uint64_t learned = 0;        // (name, address) bindings learned or refreshed from answers
  std::uint64_t expired = 0;        // bindings forgotten once past their expiry + grace
  std::uint64_t evicted_names = 0;  // names dropped because the store held max_names
  std::uint64_t dropped_addrs = 0;  // addresses dropped because their name held max_addrs_per_name
};

enum class BindResult : std::uint8_t {
  Bound,    // the name resolved to the address, and the binding is live (or in grace, when asked)
  Unbound,  // the name has a live binding, and the address is not in it
  Unknown,  // no live binding for the name (never seen, or expired): resolve, then decide
};

class NameBindings {
 public:
  explicit NameBindings(BindingLimits l = {});

  // Every name of a.names -> a.addrs, for a.ttl clamped to [min_ttl, max_ttl], merged with what is held: an
  // address stays until its own expiry (a shorter TTL never shortens it). An answer without addresses binds
  // nothing.
  void learn(const dns::Answer& a, Clock::time_point now);
  // `grace`: also accept an address whose binding expired less than limits.grace ago (a request on a connection
  // that an earlier, bound request opened). Names are compared lowercased without a trailing dot.
  BindResult check(std::string_view name, const policy::IpAddr& addr, Clock::time_point now,
                   bool grace = false) const;
  // The live addresses of `name` (oldest learned first), for decision reasons.
  std::vector<policy::IpAddr> addresses(std::string_view name, Clock::time_point now) const;
  // Forgets every name whose last binding expired more than limits.grace ago (counted in `expired`). An expired
  // address of a name that still has a live one goes when the name is learned again (it counts against
  // max_addrs_per_name until then).
  void expire(Clock::time_point now);

  std::size_t names() const { return map_.size(); }
  std::size_t addresses_held() const { return addrs_; }
  const BindingCounters& counters() const { return counters_; }
  const BindingLimits& limits() const { return limits_; }

  // State file (--state-dir). Text: a header `nfegress-bindings 1 <unix seconds of wall_now>`, then one line per
  // live binding `<name> <address> <remaining seconds>`, names sorted. load() subtracts the wall-clock time that
  // passed since the save (none if the clock went back), skips what expired meanwhile, and merges the rest
  // (without counting it as learned). On a parse error nothing is loaded and `error` names the line.
  std::string save(Clock::time_point now, std::chrono::system_clock::time_point wall_now) const;
  bool load(std::string_view text, Clock::time_point now, std::chrono::system_clock::time_point wall_now,
            std::string& error);

 private:
  // One address of a name (32 bytes: the value first for its alignment).
  struct Slot {
    policy::u128 value = 0;
    Clock::time_point expires{};
    policy::Family family = policy::Family::V4;
    bool is(const policy::IpAddr& a) const { return a.value == value && a.family == family; }
  };
  struct Entry {
    std::vector<Slot> slots;   // oldest learned first
    Clock::time_point last{};  // the latest expiry over slots: the entry's key in by_expiry_
  };
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  using Map = std::unordered_map<std::string, Entry, NameHash, std::equal_to<>>;

  void add(std::string_view name, const policy::IpAddr& addr, Clock::time_point expires, Clock::time_point now);
  void erase(Map::iterator it);
  const Entry* find(std::string_view name) const;

  BindingLimits limits_;
  BindingCounters counters_;
  Map map_;
  // (latest expiry, name) of every entry, earliest first: what expire() forgets and a full store evicts. The
  // string_view points at the map's key (unordered_map nodes never move).
  std::set<std::pair<Clock::time_point, std::string_view>> by_expiry_;
  std::size_t addrs_ = 0;
};

}  // namespace nfegress::enforcer
