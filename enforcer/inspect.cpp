// enforcer/inspect.cpp — layer: pure decision glue. See inspect.hpp. TLS: one decision per connection from the
// ClientHello's SNI. HTTP/1.x: every request head of a keep-alive or pipelined connection is decided; bodies are
// framed (Content-Length, chunked) so the next head is found. Must not: touch a socket, read a clock.
#include "enforcer/inspect.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

#include "enforcer/tls_client_hello.hpp"

namespace nfegress::enforcer {
namespace {

using policy::DecisionKind;

policy::RequestInfo http_info(const HttpRequestHead& h) {
  policy::RequestInfo r;
  r.http = true;
  if (h.has_host) r.host = h.host;
  r.method = std::string(h.method);
  r.path = std::string(h.path);
  r.query = std::string(h.query);
  r.headers.reserve(h.header_count);
  for (std::size_t i = 0; i < h.header_count; ++i) {
    std::string name(h.headers[i].name);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    r.headers.emplace_back(std::move(name), std::string(h.headers[i].value));
  }
  return r;
}

policy::RequestInfo h2_info(H2RequestHead&& h) {
  policy::RequestInfo r;
  r.http = true;
  r.grpc = h.grpc;
  if (h.has_host) r.host = std::move(h.host);
  r.method = std::move(h.method);
  r.path = std::move(h.path);
  r.query = std::move(h.query);
  r.headers = std::move(h.headers);
  return r;
}

// The Upgrade header (a comma-separated protocol list) names h2c, HTTP/2 over cleartext (RFC 7540 3.2).
bool offers_h2c(const HttpRequestHead& h) {
  const HttpHeaderView* up = h.find_header("upgrade");
  std::string_view list = up ? up->value : std::string_view{};
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view token = list.substr(0, comma);
    while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
    if (token.size() == 3 && std::tolower(static_cast<unsigned char>(token[0])) == 'h' && token[1] == '2' &&
        std::tolower(static_cast<unsigned char>(token[2])) == 'c')
      return true;
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
  return false;
}

// Decides with what was seen and records it; returns the flow outcome, or Wait when the request's name must be
// resolved first (f.awaiting is then set and nothing is recorded: the request is decided again afterwards).
Outcome decide_flow(Flow& f, InspectContext& ctx, const policy::RequestInfo& info, const char* protocol) {
  const policy::Decision d = f.policy->matcher.decide(ctx.key.dst, ctx.key.dport, policy::Proto::Tcp, info);
  const BindCheck bind = check_binding(d, info, ctx.key.dst, ctx.binding, f.bound, f.resolved);
  if (bind.outcome == BindOutcome::Resolve) {
    f.awaiting = bind.name;
    return Outcome::Wait;
  }
  DecisionRecord r = base_record(f.policy->plan, f.l4, ctx.key, ctx.client_ns);
  r.protocol = protocol;
  if (info.sni) r.host = *info.sni;
  if (info.host) r.host = *info.host;
  r.method = info.method;
  r.path = info.path;
  apply_decision(r, f.policy, d);
  switch (bind.outcome) {
    case BindOutcome::Bound:
      ++ctx.counters.binding_bound;
      if (std::find(f.bound.begin(), f.bound.end(), bind.name) == f.bound.end() && f.bound.size() < 8)
        f.bound.push_back(bind.name);
      break;
    case BindOutcome::Deny:
      ++ctx.counters.binding_denied;
      r.verdict = FlowVerdict::Deny;
      r.reason = bind.reason;
      break;
    case BindOutcome::NotNeeded:
    case BindOutcome::Resolve:
      break;
  }
  const bool allow = audit_denial(r, f.policy->plan, d, ctx.counters);
  ctx.records.push_back(std::move(r));
  return allow ? Outcome::AllowFlow : Outcome::DenyFlow;
}

Outcome deny_parse(Flow& f, InspectContext& ctx, const char* protocol, std::string reason) {
  DecisionRecord r = base_record(f.policy->plan, f.l4, ctx.key, ctx.client_ns);
  r.protocol = protocol;
  r.verdict = FlowVerdict::Deny;
  r.reason = std::move(reason);
  ctx.records.push_back(std::move(r));
  return Outcome::DenyFlow;
}

}  // namespace

DecisionRecord base_record(const policy::Plan& plan, const policy::Decision& l4, const FlowKey& k,
                           const std::string& client_ns) {
  DecisionRecord r;
  r.src = k.src;
  r.sport = k.sport;
  r.dst = k.dst;
  r.dport = k.dport;
  r.client_ns = client_ns;
  if (l4.network && *l4.network < plan.networks.size()) r.network = plan.networks[*l4.network].id();
  r.protocol = "unknown";
  return r;
}

void apply_decision(DecisionRecord& r, const std::shared_ptr<const CompiledPolicy>& policy,
                    const policy::Decision& d) {
  r.route = policy::route_of(policy->plan, d);
  r.verdict = d.kind == DecisionKind::Deny ? FlowVerdict::Deny : FlowVerdict::Allow;
  r.decision = d;
  r.plan = std::shared_ptr<const policy::Plan>(policy, &policy->plan);  // shares ownership of the policy
}

bool audit_denial(DecisionRecord& r, const policy::Plan& plan, const policy::Decision& d, Counters& c) {
  if (r.verdict == FlowVerdict::Deny && d.network && *d.network < plan.networks.size() &&
      plan.networks[*d.network].audit) {
    r.verdict = FlowVerdict::Allow;
    r.audit = true;
    ++c.audit_would_deny;
  }
  return r.verdict == FlowVerdict::Allow;
}

Outcome inspect_tls(Flow& f, InspectContext& ctx) {
  ClientHelloInfo hello;
  switch (parse_client_hello(f.buf.contiguous(), hello)) {
    case ParseStatus::NeedMore:
      return Outcome::Wait;
    case ParseStatus::Found: {
      policy::RequestInfo info;
      info.tls = true;
      if (hello.has_sni) info.sni = std::string(hello.sni_view());
      return decide_flow(f, ctx, info, "tls");
    }
    case ParseStatus::Malformed:
      ++ctx.counters.parse_failures_tls;
      // A broken ClientHello is "no usable ClientHello": the port's default decides (deny under Deny).
      return decide_flow(f, ctx, policy::RequestInfo{}, "tls");
    case ParseStatus::NotThisProtocol:
      break;
  }
  return decide_flow(f, ctx, policy::RequestInfo{}, "unknown");
}

bool switched_protocols(const Flow& f, std::span<const std::uint8_t> next) {
  return f.framer.upgraded() && !next.empty() && !may_start_http_request(next.front());
}

Outcome inspect_http(Flow& f, InspectContext& ctx) {
  const auto bytes = f.buf.contiguous();
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    if (f.framer.upgraded()) {
      // An allowed Upgrade/CONNECT request has ended. A server that switched protocols reads what follows as the
      // new protocol; one that refused (200, 4xx) reads it as the next request. Whatever could be a request is
      // checked as one; the HTTP/2 preface after `Upgrade: h2c` switches to the HTTP/2 reader (after any other
      // upgrade it is read as HTTP/1.x, and denied); anything else cannot be HTTP to the server either, so the
      // connection is allowed as a whole.
      const auto rest = bytes.subspan(pos);
      if (f.h2c_offered && H2ClientStream::looks_like_preface(rest)) {
        if (rest.size() < kH2Preface.size()) break;  // "P" may still be POST: wait for the byte that tells
        f.buf.advance(pos);
        f.h2 = std::make_unique<H2ClientStream>();
        return inspect_h2(f, ctx);
      }
      if (switched_protocols(f, rest)) return Outcome::AllowFlow;
      f.framer.resume_http();
    }
    if (!f.framer.at_request_start()) {
      const std::size_t n = f.framer.consume_body(bytes.subspan(pos));
      pos += n;
      if (f.framer.failed()) {
        ++ctx.counters.parse_failures_http;
        return deny_parse(f, ctx, "http", "parse: malformed HTTP body framing");
      }
      if (n == 0) break;
      continue;
    }
    HttpRequestHead head;
    const ParseStatus st = parse_http_request(bytes.subspan(pos), head);
    if (st == ParseStatus::NeedMore) break;
    if (st == ParseStatus::NotThisProtocol && f.requests == 0)  // not HTTP at all: the port's default decides
      return decide_flow(f, ctx, policy::RequestInfo{}, "unknown");
    if (st != ParseStatus::Found) {
      ++ctx.counters.parse_failures_http;
      return deny_parse(f, ctx, "http",
                        st == ParseStatus::Malformed ? "parse: malformed HTTP request"
                                                     : "parse: not an HTTP request after request " +
                                                           std::to_string(f.requests));
    }
    const Outcome o = decide_flow(f, ctx, http_info(head), "http");
    if (o == Outcome::Wait) break;  // its name is being resolved: parsed again from its first byte afterwards
    ++ctx.counters.requests_checked;
    if (o == Outcome::DenyFlow) {
      ++ctx.counters.requests_denied;
      return o;
    }
    if (f.requests++ == 0) ++ctx.counters.flows_allowed;
    f.h2c_offered = head.upgrade && offers_h2c(head);
    f.framer.begin_body(head);
    pos += head.head_len;
  }
  f.buf.advance(pos);
  return f.requests > 0 ? Outcome::Progress : Outcome::Wait;
}

// One decoded HTTP/2 request: Wait when its name is being resolved (kept in f.h2_pending: the HPACK decoder has
// moved past it, so it cannot be parsed again).
Outcome decide_h2(Flow& f, InspectContext& ctx, policy::RequestInfo&& info, const char* protocol) {
  const Outcome o = decide_flow(f, ctx, info, protocol);
  if (o == Outcome::Wait) {
    f.h2_pending.emplace(std::move(info), protocol);
    return o;
  }
  ++ctx.counters.requests_checked;
  if (o == Outcome::DenyFlow) {
    ++ctx.counters.requests_denied;
    return o;
  }
  if (f.requests++ == 0) ++ctx.counters.flows_allowed;
  return Outcome::Progress;
}

Outcome inspect_h2(Flow& f, InspectContext& ctx) {
  if (f.h2_pending) {  // decided first, now that its name is resolved
    auto [info, protocol] = std::move(*f.h2_pending);
    f.h2_pending.reset();
    const Outcome o = decide_h2(f, ctx, std::move(info), protocol);
    if (o == Outcome::DenyFlow) return o;
    if (o == Outcome::Wait) return f.requests > 0 ? Outcome::Progress : Outcome::Wait;
    f.buf.advance(f.h2_skip);  // its frames, decoded already, are allowed now
    f.h2_skip = 0;
  }
  const auto bytes = f.buf.contiguous();
  if (!f.h2) f.h2 = std::make_unique<H2ClientStream>();
  std::size_t pos = 0;
  while (true) {
    std::size_t used = 0;
    H2RequestHead head;
    const ParseStatus st = f.h2->next(bytes.subspan(pos), used, head);
    pos += used;
    if (st == ParseStatus::NeedMore) break;
    if (st == ParseStatus::NotThisProtocol)  // only before the preface: not HTTP/2, the port's default decides
      return decide_flow(f, ctx, policy::RequestInfo{}, "unknown");
    if (st == ParseStatus::Malformed) {
      ++ctx.counters.parse_failures_http;
      return deny_parse(f, ctx, "http2", "parse: malformed HTTP/2 client stream after request " +
                                             std::to_string(f.requests));
    }
    const bool grpc = head.grpc;
    const Outcome o = decide_h2(f, ctx, h2_info(std::move(head)), grpc ? "grpc" : "http2");
    if (o == Outcome::DenyFlow) return o;
    if (o == Outcome::Wait) {  // its frames stay in the buffer (held, not passed) but are not decoded again
      f.h2_skip = used;
      pos -= used;
      break;
    }
  }
  // Read bytes are no longer buffered; until the first request is allowed their packets stay held.
  f.buf.advance(pos);
  return f.requests > 0 ? Outcome::Progress : Outcome::Wait;
}

Outcome inspect_flow(Flow& f, InspectContext& ctx) {
  switch (f.mode) {
    case FlowMode::Tls:
      return inspect_tls(f, ctx);
    case FlowMode::Http:
      if (f.h2 || (f.requests == 0 && H2ClientStream::looks_like_preface(f.buf.contiguous())))
        return inspect_h2(f, ctx);
      return inspect_http(f, ctx);
    case FlowMode::Grpc:
      break;
  }
  return inspect_h2(f, ctx);
}

}  // namespace nfegress::enforcer
