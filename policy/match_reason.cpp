// policy/match_reason.cpp — layer: pure decision (rendering). Turns a Decision's reason code and arguments into
// the route and the one-line reason explain and the decision log print. Called only where the text is printed,
// never on the matcher's decide() path. Must not: decide anything (the Decision already says what happened).
#include "policy/match.hpp"

#include "policy/compile_internal.hpp"

namespace nfegress::policy {
namespace {

const char* policy_name(TrafficPolicy p) { return p == TrafficPolicy::Allow ? "Allow" : "Deny"; }
const char* inspection_name(Inspection i) {
  switch (i) {
    case Inspection::Tls: return "TLS SNI";
    case Inspection::Http: return "HTTP request";
    case Inspection::Grpc: return "gRPC call";
    case Inspection::None: return "none";
  }
  return "";
}
std::string route_id(const Route& r) {
  return std::string(route_kind_name(r.kind)) + " " + r.meta.ns + "/" + r.meta.name;
}

// "every route on port P ... decided in the kernel for any request" (a port whose routes all agree).
std::string kernel_decided_text(const CompiledNetwork& net, std::uint16_t port, Verdict verdict) {
  return std::string("every route on port ") + std::to_string(port) + " of EgressNetwork " + net.id() +
         (verdict == Verdict::Allow ? " lets traffic through" : " denies") + " and so does trafficPolicy " +
         policy_name(net.traffic_policy) + ": decided in the kernel for any request";
}

std::string l4_text(const Plan& plan, const CompiledNetwork& net, const Decision& d) {
  const std::string port = std::to_string(d.port);
  const PortPolicy* pp = net.port(d.port);
  switch (d.reason) {
    case ReasonCode::NonTcp:
      return std::string("non-TCP traffic to EgressNetwork ") + net.id() + " (trafficPolicy " +
             policy_name(net.traffic_policy) + "): " +
             (net.other_default == Verdict::Allow
                  ? "let through"
                  : "dropped (Deny means deny for UDP too; --allow-udp restores upstream behaviour)");
    case ReasonCode::NoPortRoute:
      return "no route for port " + port + " on EgressNetwork " + net.id() + ": trafficPolicy " +
             policy_name(net.traffic_policy) + " decides";
    case ReasonCode::Inspected:
      return "port " + port + " of EgressNetwork " + net.id() + " is inspected (" +
             inspection_name(pp ? pp->inspection : Inspection::None) + "): the request decides";
    case ReasonCode::TakenByRoute: {
      if (d.route >= plan.routes.size()) return "";
      const Route& r = plan.routes[d.route];
      const auto o = detail::rule_outcome(detail::effective_rules(r).front(), r, net);
      return route_id(r) + " takes port " + port + " of EgressNetwork " + net.id() + ": " + detail::outcome_text(o);
    }
    case ReasonCode::KernelDecided:
      return kernel_decided_text(net, d.port, pp ? pp->verdict : Verdict::Deny);
    default:
      return "";
  }
}

// Request bytes as text: printable ASCII as is, every other byte (and the backslash) as \xHH, so a hostile SNI or
// Host cannot put control bytes or line breaks into explain's output or the decision log.
std::string escaped(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c > 0x20 && c < 0x7f && c != '\\') {
      out += ch;
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// "SNI example.com", or for a name no DNS name can be: "an SNI of 300 bytes, longer than any DNS name, starting
// 'aaaa...'" (its first Decision::kHostKept bytes, escaped).
std::string sni_text(const Decision& d) {
  const std::string host = escaped(d.host_view());
  if (!d.host_oversize) return "SNI " + host;
  return "an SNI of " + std::to_string(d.host_oversize) + " bytes, longer than any DNS name, starting '" + host +
         "...'";
}

std::string match_text(const Plan& plan, const CompiledNetwork& net, const Decision& d) {
  const std::string where = "port " + std::to_string(d.port) + " of EgressNetwork " + net.id();
  const std::string_view host = d.host_view();
  std::string why;
  switch (d.reason) {
    case ReasonCode::NotTls: why = "not TLS on TLSRoute " + where; break;
    case ReasonCode::TlsWithoutSni: why = "TLS without SNI on " + where; break;
    case ReasonCode::NotHttp: why = "not an HTTP request on " + where; break;
    case ReasonCode::NoTlsMatch: why = "no TLSRoute on " + where + " matches " + sni_text(d); break;
    case ReasonCode::NoHttpMatch:
      why = std::string("no ") + (d.default_kind == Inspection::Grpc ? "GRPCRoute" : "HTTPRoute") + " on " + where +
            " matches the request";
      break;
    case ReasonCode::Matched: {
      if (d.route >= plan.routes.size()) return "";
      const std::string name = escaped(host.substr(std::min<std::size_t>(d.match_offset, host.size())));
      const std::string how = d.host_match == HostMatch::Exact      ? "hostname " + name
                              : d.host_match == HostMatch::Wildcard ? "hostname *." + name
                                                                    : std::string("no hostnames (any host)");
      return route_id(plan.routes[d.route]) + " rule " + std::to_string(d.rule) + " matched on " + where + " by " +
             how + ": " + detail::outcome_text(static_cast<detail::RuleOutcome>(d.outcome));
    }
    default: return "";
  }
  return why + ": trafficPolicy " + policy_name(net.traffic_policy) + " decides (" +
         detail::default_route(d.default_kind, net.traffic_policy, net.ns).name + ")";
}

}  // namespace

std::optional<RouteRef> route_of(const Plan& plan, const Decision& d) {
  if (!d.network || *d.network >= plan.networks.size()) return std::nullopt;
  const CompiledNetwork& net = plan.networks[*d.network];
  switch (d.route_source) {
    case RouteSource::None: return std::nullopt;
    case RouteSource::Route: {
      if (d.route >= plan.routes.size()) return std::nullopt;
      const Route& r = plan.routes[d.route];
      return RouteRef{route_kind_name(r.kind), r.meta.ns, r.meta.name, false};
    }
    case RouteSource::Port: {
      const PortPolicy* pp = net.port(d.port);
      if (!pp) return std::nullopt;
      return pp->route;
    }
    case RouteSource::Default: return detail::default_route(d.default_kind, net.traffic_policy, net.ns);
  }
  return std::nullopt;
}

std::string reason_text(const Plan& plan, const Decision& d) {
  if (!d.network || *d.network >= plan.networks.size())
    return "no EgressNetwork captures " + format_ip(d.dst) + " for clients in namespace " + plan.client_ns;
  const CompiledNetwork& net = plan.networks[*d.network];
  switch (d.reason) {
    case ReasonCode::NoNetwork: return "no EgressNetwork captures " + format_ip(d.dst);
    case ReasonCode::NonTcp:
    case ReasonCode::NoPortRoute:
    case ReasonCode::Inspected:
    case ReasonCode::TakenByRoute:
    case ReasonCode::KernelDecided: return l4_text(plan, net, d);
    default: break;
  }
  std::string text = match_text(plan, net, d);
  if (d.kernel_decided) {
    const PortPolicy* pp = net.port(d.port);
    text += " (" + kernel_decided_text(net, d.port, pp ? pp->verdict : Verdict::Deny) + ")";
  }
  return text;
}

}  // namespace nfegress::policy
