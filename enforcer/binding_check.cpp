// enforcer/binding_check.cpp — layer: pure decision. See binding_check.hpp.
#include "enforcer/binding_check.hpp"

#include <algorithm>
#include <array>

#include "enforcer/dns_name.hpp"

namespace nfegress::enforcer {

const char* to_string(BindingMode m) {
  switch (m) {
    case BindingMode::Off:
      return "off";
    case BindingMode::Strict:
      return "strict";
    case BindingMode::Resolve:
      return "resolve";
  }
  return "?";
}

std::string_view name_label(const policy::RequestInfo& info) {
  if (!info.http) return "SNI";
  return info.grpc ? ":authority" : "Host";
}

namespace {

bool listed(const std::vector<std::string>& names, std::string_view n) {
  return std::find(names.begin(), names.end(), n) != names.end();
}

std::string resolved_list(const NameBindings& b, std::string_view name, Clock::time_point now) {
  const std::vector<policy::IpAddr> addrs = b.addresses(name, now);
  if (addrs.empty()) return "no address";
  std::string s;
  const std::size_t shown = std::min<std::size_t>(addrs.size(), 8);
  for (std::size_t i = 0; i < shown; ++i) s += (i ? ", " : "") + policy::format_ip(addrs[i]);
  if (addrs.size() > shown) s += ", ... (" + std::to_string(addrs.size()) + " in all)";
  return s;
}

}  // namespace

BindCheck check_binding(const policy::Decision& d, const policy::RequestInfo& info, const policy::IpAddr& dst,
                        const BindingContext& ctx, const std::vector<std::string>& earlier,
                        const std::vector<std::string>& resolved) {
  BindCheck c;
  // Only an allow that a route's hostnames gave: a route without hostnames, a TCPRoute, a default and every denial
  // are not about a name.
  if (ctx.mode == BindingMode::Off || !ctx.bindings || d.kind != policy::DecisionKind::Allow ||
      d.reason != policy::ReasonCode::Matched || d.host_match == policy::HostMatch::Any || d.host_oversize != 0)
    return c;
  c.name = std::string(d.host_view());
  const BindResult r = ctx.bindings->check(c.name, dst, ctx.now, listed(earlier, c.name));
  const std::string what = std::string(name_label(info)) + " " + c.name;
  switch (r) {
    case BindResult::Bound:
      c.outcome = BindOutcome::Bound;
      return c;
    case BindResult::Unbound:
      c.outcome = BindOutcome::Deny;
      c.reason = "binding: " + what + " does not resolve to " + policy::format_ip(dst) + " (resolved: " +
                 resolved_list(*ctx.bindings, c.name, ctx.now) + ")";
      return c;
    case BindResult::Unknown:
      break;
  }
  if (ctx.mode == BindingMode::Resolve && !listed(resolved, c.name)) {
    c.outcome = BindOutcome::Resolve;
    return c;
  }
  c.outcome = BindOutcome::Deny;
  c.reason = ctx.mode == BindingMode::Strict
                 ? "binding: no DNS answer seen for " + what + " (--name-binding strict), so " +
                       policy::format_ip(dst) + " is not known to be its address"
                 : "binding: " + what + " does not resolve to " + policy::format_ip(dst) +
                       " (resolved on a miss: no address)";
  return c;
}

bool explain_binding(policy::Explanation& e, const policy::ExplainQuery& q, const std::vector<std::string>& resolved,
                     std::string& error) {
  NameBindings bindings;
  const Clock::time_point now{};
  std::vector<std::string> given;
  for (const std::string& flag : resolved) {
    const std::size_t eq = flag.find('=');
    dns::Answer a;
    if (eq == std::string::npos || eq == 0 || eq + 1 == flag.size()) {
      error = "--resolved '" + flag + "' is not NAME=IP[,IP...]";
      return false;
    }
    std::array<char, kMaxDnsName> buf{};
    const std::size_t len = normalize_dns_name(std::string_view(flag).substr(0, eq), buf.data(), buf.size());
    if (len == 0) {
      error = "--resolved '" + flag + "': '" + flag.substr(0, eq) + "' is not a host name";
      return false;
    }
    std::string name(buf.data(), len);
    std::string_view list = std::string_view(flag).substr(eq + 1);
    while (!list.empty()) {
      const std::size_t comma = list.find(',');
      const auto ip = policy::parse_ip(list.substr(0, comma));
      if (!ip) {
        error = "--resolved '" + flag + "': '" + std::string(list.substr(0, comma)) + "' is not an IP address";
        return false;
      }
      a.addrs.push_back(*ip);
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
    a.names = {name};
    a.ttl = 3600;
    bindings.learn(a, now);
    given.push_back(name);
  }
  const BindingContext ctx{BindingMode::Strict, &bindings, now};
  const BindCheck c = check_binding(e.decision, q.request, q.dst, ctx, {}, {});
  if (c.outcome == BindOutcome::NotNeeded) return true;
  const std::string what = std::string(name_label(q.request)) + " " + c.name;
  if (!listed(given, c.name)) {
    e.why.push_back("name binding: allowed only if " + what + " resolves to " + policy::format_ip(q.dst) +
                    " when the flow starts (--name-binding resolve and strict; off: the name alone decides); model "
                    "it with --resolved " + c.name + "=IP");
    return true;
  }
  if (c.outcome == BindOutcome::Bound) {
    e.why.push_back("name binding: " + what + " resolves to " + policy::format_ip(q.dst) + " (--resolved)");
    return true;
  }
  e.decision.kind = policy::DecisionKind::Deny;
  e.reason = c.reason;
  e.why.push_back("name binding: " + c.reason.substr(std::string("binding: ").size()) +
                  ": denied although the route matched");
  return true;
}

}  // namespace nfegress::enforcer
