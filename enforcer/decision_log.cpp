// enforcer/decision_log.cpp — layer: operations. See decision_log.hpp.
#include "enforcer/decision_log.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <ostream>

namespace nfegress::enforcer {

std::string format_endpoint(const policy::IpAddr& ip, std::uint16_t port) {
  const std::string addr = policy::format_ip(ip);
  if (ip.family == policy::Family::V6) return "[" + addr + "]:" + std::to_string(port);
  return addr + ":" + std::to_string(port);
}

std::string format_route(const std::optional<policy::RouteRef>& r) {
  if (!r) return "";
  if (r->is_default) return "default " + r->name;
  return r->kind + " " + r->ns + "/" + r->name;
}

std::string record_reason(const DecisionRecord& r) {
  if (!r.reason.empty() || !r.decision || !r.plan) return r.reason;
  return policy::reason_text(*r.plan, *r.decision);
}

std::string format_timestamp(std::chrono::system_clock::time_point t) {
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
  std::string out;
  out.reserve(static_cast<std::size_t>(len) + 5);
  out.append(seconds, static_cast<std::size_t>(len));
  out += '.';
  out += static_cast<char>('0' + frac / 100);
  out += static_cast<char>('0' + frac / 10 % 10);
  out += static_cast<char>('0' + frac % 10);
  out += 'Z';
  return out;
}

namespace {
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

void append_field(std::string& out, std::string_view key, std::string_view value) {
  out += out.size() == 1 ? "\"" : ",\"";
  out.append(key);
  out += "\":";
  append_string(out, value);
}
}  // namespace

std::string format_decision(const DecisionRecord& r, std::chrono::system_clock::time_point t) {
  std::string out = "{";
  out.reserve(384);
  append_field(out, "timestamp", format_timestamp(t));
  append_field(out, "dst", format_endpoint(r.dst, r.dport));
  append_field(out, "namespace", r.client_ns);
  append_field(out, "egressNetwork", r.network);
  append_field(out, "route", format_route(r.route));
  append_field(out, "host", r.host);
  append_field(out, "verdict", to_string(r.verdict));
  if (r.audit) append_field(out, "audit", "deny");  // only on an audited network's would-deny
  append_field(out, "reason", record_reason(r));
  append_field(out, "src", format_endpoint(r.src, r.sport));
  append_field(out, "protocol", r.protocol);
  append_field(out, "method", r.method);
  append_field(out, "path", r.path);
  if (!r.response.empty()) append_field(out, "response", r.response);
  out += '}';
  return out;
}

DecisionLog::DecisionLog(std::ostream& out, Clock clock) : out_(out), clock_(std::move(clock)) {}

void DecisionLog::write(const DecisionRecord& r) {
  std::string line;
  append_line(r, line);
  write_lines(line);
}

void DecisionLog::append_line(const DecisionRecord& r, std::string& lines) const {
  lines += format_decision(r, clock_());
  lines += '\n';
}

void DecisionLog::write_lines(std::string_view lines) {
  if (lines.empty()) return;
  std::lock_guard lock(mu_);
  out_.write(lines.data(), static_cast<std::streamsize>(lines.size()));
  out_.flush();
}

}  // namespace nfegress::enforcer
