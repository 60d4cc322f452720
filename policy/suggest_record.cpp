// policy/suggest_record.cpp — layer: pure policy. Decision-log lines to SuggestRecords, and the normalisation of
// the hostnames and paths they carry (see suggest.hpp). Must not: read input or print.
#include <charconv>
#include <nlohmann/json.hpp>

#include "policy/suggest.hpp"
#include "policy/validate.hpp"

namespace nfegress::policy {
namespace {

bool fail(std::string* why, std::string text) {
  if (why) *why = std::move(text);
  return false;
}

// "203.0.113.10:443" or "[2001:db8::1]:443".
bool parse_endpoint(std::string_view s, IpAddr& ip, std::uint16_t& port) {
  std::string_view addr, p;
  if (!s.empty() && s.front() == '[') {
    const auto close = s.find("]:");
    if (close == std::string_view::npos) return false;
    addr = s.substr(1, close - 1);
    p = s.substr(close + 2);
  } else {
    const auto colon = s.rfind(':');
    if (colon == std::string_view::npos) return false;
    addr = s.substr(0, colon);
    p = s.substr(colon + 1);
  }
  unsigned v = 0;
  const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
  if (ec != std::errc{} || end != p.data() + p.size() || v == 0 || v > 65535) return false;
  const auto a = parse_ip(addr);
  if (!a || (a->family == Family::V6) != (s.front() == '[')) return false;
  ip = *a;
  port = static_cast<std::uint16_t>(v);
  return true;
}

bool get_string(const nlohmann::json& j, const char* key, bool required, std::string& out, std::string* why) {
  const auto it = j.find(key);
  if (it == j.end()) return !required || fail(why, std::string("no \"") + key + "\"");
  if (!it->is_string()) return fail(why, std::string("\"") + key + "\" is not a string");
  out = it->get<std::string>();
  return true;
}

}  // namespace

std::optional<SuggestRecord> parse_decision_line(std::string_view line, std::string* why) {
  const auto j = nlohmann::json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return fail(why, "not JSON"), std::nullopt;
  if (!j.is_object()) return fail(why, "not a JSON object"), std::nullopt;
  SuggestRecord r;
  std::string dst, verdict, audit;
  if (!get_string(j, "timestamp", true, r.timestamp, why) || !get_string(j, "dst", true, dst, why) ||
      !get_string(j, "namespace", true, r.client_ns, why) || !get_string(j, "egressNetwork", true, r.network, why) ||
      !get_string(j, "verdict", true, verdict, why) || !get_string(j, "protocol", true, r.protocol, why) ||
      !get_string(j, "host", true, r.host, why) || !get_string(j, "method", false, r.method, why) ||
      !get_string(j, "path", false, r.path, why) || !get_string(j, "audit", false, audit, why))
    return std::nullopt;
  if (!parse_endpoint(dst, r.dst, r.port)) return fail(why, "\"dst\" is not IP:PORT: '" + dst + "'"), std::nullopt;
  if (verdict != "allow" && verdict != "deny")
    return fail(why, "\"verdict\" is neither allow nor deny: '" + verdict + "'"), std::nullopt;
  r.denied = verdict == "deny" || audit == "deny";
  return r;
}

std::string suggest_hostname(std::string_view host) {
  std::string h;
  if (!host.empty() && host.front() == '[') return "";  // [IPv6]:port
  const auto colon = host.rfind(':');
  if (colon != std::string_view::npos) host = host.substr(0, colon);
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  for (char c : host) h.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  if (h.size() > 1 && h[0] == '*') return "";  // a name from the wire is never a wildcard
  return valid_hostname(h) ? h : "";
}

std::string suggest_path_prefix(std::string_view path, unsigned depth) {
  const auto cut = path.find_first_of("?#");
  if (cut != std::string_view::npos) path = path.substr(0, cut);
  if (path.empty() || path.front() != '/') return "/";
  std::string out;
  std::size_t pos = 1;
  for (unsigned i = 0; i < depth && pos < path.size(); ++i) {
    auto end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    if (end == pos) break;  // an empty segment ("//" or a trailing '/'): the prefix so far covers it
    out += '/';
    out += path.substr(pos, end - pos);
    pos = end + 1;
  }
  return out.empty() ? "/" : out;
}

}  // namespace nfegress::policy
