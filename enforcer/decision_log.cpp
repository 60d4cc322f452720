// enforcer/decision_log.cpp — layer: operations. See decision_log.hpp.
#include "enforcer/decision_log.hpp"

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
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];  // room for any int year, so the output is never truncated
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return buf;
}

std::string format_decision(const DecisionRecord& r, std::chrono::system_clock::time_point t) {
  nlohmann::ordered_json j;
  j["timestamp"] = format_timestamp(t);
  j["dst"] = format_endpoint(r.dst, r.dport);
  j["namespace"] = r.client_ns;
  j["egressNetwork"] = r.network;
  j["route"] = format_route(r.route);
  j["host"] = r.host;
  j["verdict"] = to_string(r.verdict);
  if (r.audit) j["audit"] = "deny";  // only on an audited network's would-deny
  j["reason"] = record_reason(r);
  j["src"] = format_endpoint(r.src, r.sport);
  j["protocol"] = r.protocol;
  j["method"] = r.method;
  j["path"] = r.path;
  if (!r.response.empty()) j["response"] = r.response;
  // Host, method and path come from the wire: invalid UTF-8 is replaced, never thrown.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

DecisionLog::DecisionLog(std::ostream& out, Clock clock) : out_(out), clock_(std::move(clock)) {}

void DecisionLog::write(const DecisionRecord& r) {
  std::string line = format_decision(r, clock_());
  line += '\n';
  std::lock_guard lock(mu_);
  out_.write(line.data(), static_cast<std::streamsize>(line.size()));
  out_.flush();
}

}  // namespace nfegress::enforcer
