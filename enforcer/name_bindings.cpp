// enforcer/name_bindings.cpp — layer: pure state. Learning, checking and forgetting name -> address bindings
// (the state file is name_bindings_state.cpp). Must not: read a clock, touch a socket or a file, throw, log.
#include "enforcer/name_bindings.hpp"

#include <algorithm>
#include <array>

#include "enforcer/dns_name.hpp"

namespace nfegress::enforcer {
namespace {

// The normalised name in buf, or an empty view when it is not a host name.
std::string_view normalized(std::string_view name, std::array<char, kMaxDnsName>& buf) {
  return {buf.data(), normalize_dns_name(name, buf.data(), buf.size())};
}

}  // namespace

NameBindings::NameBindings(BindingLimits l) : limits_(l) {
  if (limits_.max_ttl < limits_.min_ttl) limits_.max_ttl = limits_.min_ttl;
}

const NameBindings::Entry* NameBindings::find(std::string_view name) const {
  std::array<char, kMaxDnsName> buf;
  const std::string_view n = normalized(name, buf);
  if (n.empty()) return nullptr;
  const auto it = map_.find(n);
  return it == map_.end() ? nullptr : &it->second;
}

void NameBindings::erase(Map::iterator it) {
  by_expiry_.erase({it->second.last, std::string_view(it->first)});
  addrs_ -= it->second.slots.size();
  map_.erase(it);
}

void NameBindings::add(std::string_view name, const policy::IpAddr& addr, Clock::time_point expires,
                       Clock::time_point now) {
  if (limits_.max_names == 0 || limits_.max_addrs_per_name == 0) return;
  auto it = map_.find(name);
  if (it == map_.end()) {
    if (map_.size() >= limits_.max_names && !by_expiry_.empty()) {
      erase(map_.find(by_expiry_.begin()->second));
      ++counters_.evicted_names;
    }
    it = map_.emplace(std::string(name), Entry{}).first;
  } else {
    by_expiry_.erase({it->second.last, std::string_view(it->first)});
  }
  std::vector<Slot>& slots = it->second.slots;
  const std::size_t before = slots.size();
  // Addresses past their grace are of no use to anyone: make room before counting against the bound.
  std::erase_if(slots, [&](const Slot& s) { return s.expires + limits_.grace <= now; });
  counters_.expired += before - slots.size();
  addrs_ -= before - slots.size();

  const auto same = std::find_if(slots.begin(), slots.end(), [&](const Slot& s) { return s.is(addr); });
  if (same != slots.end()) {
    // Refreshed: it becomes the newest, and keeps the later of its two expiries.
    Slot s = *same;
    s.expires = std::max(s.expires, expires);
    slots.erase(same);
    slots.push_back(s);
  } else {
    slots.push_back(Slot{addr.value, expires, addr.family});
    ++addrs_;
    if (slots.size() > limits_.max_addrs_per_name) {
      const std::size_t extra = slots.size() - limits_.max_addrs_per_name;
      slots.erase(slots.begin(), slots.begin() + static_cast<std::ptrdiff_t>(extra));
      counters_.dropped_addrs += extra;
      addrs_ -= extra;
    }
  }
  Clock::time_point last = slots.front().expires;
  for (const Slot& s : slots) last = std::max(last, s.expires);
  it->second.last = last;
  by_expiry_.emplace(last, std::string_view(it->first));
}

void NameBindings::learn(const dns::Answer& a, Clock::time_point now) {
  if (a.addrs.empty()) return;
  const std::chrono::seconds ttl =
      std::clamp(std::chrono::seconds(a.ttl), limits_.min_ttl, limits_.max_ttl);
  const Clock::time_point expires = now + ttl;
  std::array<char, kMaxDnsName> buf;
  for (const std::string& name : a.names) {
    const std::string_view n = normalized(name, buf);
    if (n.empty()) continue;
    for (const policy::IpAddr& addr : a.addrs) {
      add(n, addr, expires, now);
      ++counters_.learned;
    }
  }
}

BindResult NameBindings::check(std::string_view name, const policy::IpAddr& addr, Clock::time_point now,
                               bool grace) const {
  const Entry* e = find(name);
  if (e == nullptr) return BindResult::Unknown;
  bool live = false;
  for (const Slot& s : e->slots) {
    const bool match = s.is(addr);
    if (s.expires > now) {
      if (match) return BindResult::Bound;
      live = true;
    } else if (match && grace && s.expires + limits_.grace > now) {
      return BindResult::Bound;
    }
  }
  return live ? BindResult::Unbound : BindResult::Unknown;
}

std::vector<policy::IpAddr> NameBindings::addresses(std::string_view name, Clock::time_point now) const {
  std::vector<policy::IpAddr> out;
  if (const Entry* e = find(name)) {
    for (const Slot& s : e->slots)
      if (s.expires > now) out.push_back(policy::IpAddr{s.family, s.value});
  }
  return out;
}

void NameBindings::expire(Clock::time_point now) {
  while (!by_expiry_.empty() && by_expiry_.begin()->first + limits_.grace <= now) {
    const auto it = map_.find(by_expiry_.begin()->second);
    counters_.expired += it->second.slots.size();
    erase(it);
  }
}

}  // namespace nfegress::enforcer
