// policy/compile_util.cpp — layer: pure decision. Small helpers shared by the compiler, matcher and explain
// (see compile_internal.hpp). Must not: do I/O.
#include <algorithm>
#include <charconv>

#include "policy/compile_internal.hpp"

namespace nfegress::policy::detail {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lc = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lc(a[i]) != lc(b[i])) return false;
  }
  return true;
}

RuleOutcome rule_outcome(const RouteRule& rule, const Route& route, const CompiledNetwork& parent) {
  RuleOutcome worst = RuleOutcome::LetThrough;
  for (const auto& b : rule.backends) {
    const bool core = b.group.empty() || iequals(b.group, "core");
    if (core && (b.kind.empty() || iequals(b.kind, "Service"))) {
      if (b.name.empty()) return RuleOutcome::InvalidDeny;
      worst = RuleOutcome::ServiceDeny;
      continue;
    }
    if (iequals(b.group, "policy.linkerd.io") && iequals(b.kind, "EgressNetwork")) {
      const std::string& ns = b.ns ? *b.ns : route.meta.ns;
      if (b.name == parent.name && ns == parent.ns) continue;  // the parent itself: original destination
    }
    return RuleOutcome::InvalidDeny;
  }
  return worst;
}

const char* outcome_text(RuleOutcome o) {
  switch (o) {
    case RuleOutcome::LetThrough: return "let through to the original destination";
    case RuleOutcome::ServiceDeny:
      return "Service backendRef is not honoured by a transparent enforcer (cannot redirect): denied";
    case RuleOutcome::InvalidDeny: return "invalid backendRef (another EgressNetwork, missing or unknown kind): denied";
  }
  return "";
}

RouteRef default_route(Inspection kind, TrafficPolicy policy, const std::string& ns) {
  const char* proto = "tcp";
  switch (kind) {
    case Inspection::Http: proto = "http"; break;
    case Inspection::Grpc: proto = "grpc"; break;
    case Inspection::Tls: proto = "tls"; break;
    case Inspection::None: proto = "tcp"; break;
  }
  return RouteRef{"default", ns,
                  std::string(proto) + (policy == TrafficPolicy::Allow ? "-egress-allow" : "-egress-deny"), true};
}

const std::vector<RouteRule>& effective_rules(const Route& route) {
  static const std::vector<RouteRule> one_default(1);
  return route.rules.empty() ? one_default : route.rules;
}

bool parse_opaque_ports(std::string_view text, std::vector<std::uint16_t>& out) {
  out.clear();
  auto num = [](std::string_view s, unsigned& v) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return !s.empty() && ec == std::errc{} && p == s.data() + s.size() && v >= 1 && v <= 65535;
  };
  while (!text.empty()) {
    const auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    if (item.empty()) continue;
    const auto dash = item.find('-');
    unsigned lo = 0, hi = 0;
    if (dash == std::string_view::npos) {
      if (!num(item, lo)) return false;
      hi = lo;
    } else if (!num(item.substr(0, dash), lo) || !num(item.substr(dash + 1), hi) || hi < lo) {
      return false;
    }
    for (unsigned p = lo; p <= hi; ++p) out.push_back(static_cast<std::uint16_t>(p));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return true;
}

bool normalize_host(std::string_view in, char* buf, std::size_t cap, std::string_view& out) {
  if (!in.empty() && in.back() == '.') in.remove_suffix(1);
  if (in.size() > cap) return false;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    buf[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  out = std::string_view(buf, in.size());
  return true;
}

}  // namespace nfegress::policy::detail
