// enforcer/decision_log.cpp — layer: operations. See decision_log.hpp.
#include "enforcer/decision_log.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <ostream>
#include <unordered_map>

namespace nfegress::enforcer {

namespace {

// "ip:port" with brackets for IPv6, appended without a temporary string (issue 19: the two endpoints were 3% of
// the enforcer's CPU per inspected connection).
void append_endpoint(std::string& out, const policy::IpAddr& ip, std::uint16_t port) {
  char buf[INET6_ADDRSTRLEN + 8] = {};
  const auto bytes = policy::to_bytes(ip.family, ip.value);
  if (ip.family == policy::Family::V6) {
    inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
    out += '[';
    out.append(buf);
    out += ']';
  } else {  // dotted quad by hand: glibc's inet_ntop goes through sprintf
    char* p = buf;
    for (int i = 0; i < 4; ++i) {
      if (i) *p++ = '.';
      p = std::to_chars(p, buf + sizeof buf, bytes[static_cast<std::size_t>(i)]).ptr;
    }
    out.append(buf, p);
  }
  out += ':';
  const auto r = std::to_chars(buf, buf + sizeof buf, port);
  out.append(buf, r.ptr);
}

void append_route(std::string& out, const std::optional<policy::RouteRef>& r) {
  if (!r) return;
  if (r->is_default) {
    out += "default ";
    out += r->name;
    return;
  }
  out += r->kind;
  out += ' ';
  out += r->ns;
  out += '/';
  out += r->name;
}

// The matcher's reason text is the same for every decision with the same plan and the same reason fields (the
// host only where the text names it): each worker thread keeps the texts it rendered for its current plan (issue
// 19: rendering was 6% of the enforcer's CPU per inspected connection). The cache holds the plan, so a new plan
// at the same address can never be served an old text; it is emptied on a new plan and at 4096 texts.
struct ReasonCache {
  std::shared_ptr<const policy::Plan> plan;
  std::unordered_map<std::string, std::string> texts;
  std::string key;
};

template <class T>
void put(std::string& key, const T& v) {
  key.append(reinterpret_cast<const char*>(&v), sizeof v);
}

// The matcher's reason is rendered from the record's decision and plan; the enforcer's own ("bound: ...",
// "parse: ...") is the record's text.
bool matcher_reason(const DecisionRecord& r) { return r.reason.empty() && r.decision && r.plan; }

const std::string& cached_reason(const DecisionRecord& r) {
  thread_local ReasonCache cache;
  const policy::Decision& d = *r.decision;
  if (cache.plan != r.plan || cache.texts.size() >= 4096) {
    cache.texts.clear();
    cache.plan = r.plan;
  }
  std::string& key = cache.key;
  key.clear();
  const std::uint32_t network = d.network ? *d.network : ~0u;
  put(key, network);
  put(key, d.reason);
  put(key, d.default_kind);
  put(key, d.kernel_decided);
  put(key, d.host_match);
  put(key, d.outcome);
  put(key, d.port);
  put(key, d.route);
  put(key, d.rule);
  put(key, d.match_offset);
  put(key, d.host_oversize);
  if (!d.network || d.reason == policy::ReasonCode::NoNetwork) {
    put(key, d.dst.family);
    put(key, d.dst.value);
  }
  if (d.reason == policy::ReasonCode::NoTlsMatch || d.reason == policy::ReasonCode::Matched) key.append(d.host_view());
  auto it = cache.texts.find(key);
  if (it == cache.texts.end()) it = cache.texts.emplace(key, policy::reason_text(*r.plan, d)).first;
  return it->second;
}

void append_timestamp(std::string& out, std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  long frac = static_cast<long>(ms % 1000);
  if (frac < 0) {  // before 1970: keep the fraction positive
    frac += 1000;
    --secs;
  }
  // The seconds are the same for every line of one second: formatted once per thread and second (issue 19's
  // profile: gmtime_r + snprintf were 4% of the enforcer's CPU per inspected connection).
  thread_local std::time_t cached_secs = 0;
  thread_local bool cached = false;
  thread_local char seconds[96];  // room for any int year, so the output is never truncated
  thread_local int len = 0;
  if (!cached || secs != cached_secs) {
    std::tm tm{};
    gmtime_r(&secs, &tm);
    len = std::snprintf(seconds, sizeof seconds, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                        tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    len = std::clamp(len, 0, static_cast<int>(sizeof seconds) - 1);
    cached_secs = secs;
    cached = true;
  }
  out.append(seconds, static_cast<std::size_t>(len));
  out += '.';
  out += static_cast<char>('0' + frac / 100);
  out += static_cast<char>('0' + frac / 10 % 10);
  out += static_cast<char>('0' + frac % 10);
  out += 'Z';
}

// One JSON string value. Printable ASCII without '"' or '\\' (nearly every field) is copied as it is; anything else
// (control bytes, UTF-8, invalid UTF-8 from the wire) goes through nlohmann's escaping with invalid bytes replaced
// by U+FFFD, never thrown, so the output is the same as a whole-object dump (issue 19: building and dumping a
// json object was 16% of the enforcer's CPU per inspected connection).
void append_string(std::string& out, std::string_view v) {
  const bool plain =
      std::all_of(v.begin(), v.end(), [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
  if (plain) {
    out += '"';
    out.append(v);
    out += '"';
    return;
  }
  out += nlohmann::json(std::string(v)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void append_key(std::string& out, std::size_t start, std::string_view key) {
  out += out.size() == start + 1 ? "\"" : ",\"";
  out.append(key);
  out += "\":";
}

void append_field(std::string& out, std::size_t start, std::string_view key, std::string_view value) {
  append_key(out, start, key);
  append_string(out, value);
}

// Endpoints, the timestamp and the route are plain ASCII by construction (addresses, digits, Kubernetes names).
template <class F>
void append_plain(std::string& out, std::size_t start, std::string_view key, F&& write) {
  append_key(out, start, key);
  out += '"';
  write();
  out += '"';
}

void append_decision(std::string& out, const DecisionRecord& r, std::chrono::system_clock::time_point t) {
  const std::size_t start = out.size();
  out += '{';
  append_plain(out, start, "timestamp", [&] { append_timestamp(out, t); });
  append_plain(out, start, "dst", [&] { append_endpoint(out, r.dst, r.dport); });
  append_field(out, start, "namespace", r.client_ns);
  append_field(out, start, "egressNetwork", r.network);
  thread_local std::string route;  // the one field assembled from parts: reused, escaped like any other
  route.clear();
  append_route(route, r.route);
  append_field(out, start, "route", route);
  append_field(out, start, "host", r.host);
  append_field(out, start, "verdict", to_string(r.verdict));
  if (r.audit) append_field(out, start, "audit", "deny");  // only on an audited network's would-deny
  append_field(out, start, "reason", matcher_reason(r) ? cached_reason(r) : r.reason);
  append_plain(out, start, "src", [&] { append_endpoint(out, r.src, r.sport); });
  append_field(out, start, "protocol", r.protocol);
  append_field(out, start, "method", r.method);
  append_field(out, start, "path", r.path);
  if (!r.response.empty()) append_field(out, start, "response", r.response);
  out += '}';
}

}  // namespace

std::string format_endpoint(const policy::IpAddr& ip, std::uint16_t port) {
  std::string out;
  append_endpoint(out, ip, port);
  return out;
}

std::string format_route(const std::optional<policy::RouteRef>& r) {
  std::string out;
  append_route(out, r);
  return out;
}

std::string record_reason(const DecisionRecord& r) {
  return matcher_reason(r) ? policy::reason_text(*r.plan, *r.decision) : r.reason;
}

std::string format_timestamp(std::chrono::system_clock::time_point t) {
  std::string out;
  append_timestamp(out, t);
  return out;
}

std::string format_decision(const DecisionRecord& r, std::chrono::system_clock::time_point t) {
  std::string out;
  out.reserve(384);
  append_decision(out, r, t);
  return out;
}

DecisionLog::DecisionLog(std::ostream& out, Clock clock) : out_(out), clock_(std::move(clock)) {}

void DecisionLog::write(const DecisionRecord& r) {
  std::string line;
  append_line(r, line);
  write_lines(line);
}

void DecisionLog::append_line(const DecisionRecord& r, std::string& lines) const {
  append_decision(lines, r, clock_());
  lines += '\n';
}

void DecisionLog::write_lines(std::string_view lines) {
  if (lines.empty()) return;
  std::lock_guard lock(mu_);
  out_.write(lines.data(), static_cast<std::streamsize>(lines.size()));
  out_.flush();
}

}  // namespace nfegress::enforcer
