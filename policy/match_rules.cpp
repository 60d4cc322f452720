// policy/match_rules.cpp — layer: pure decision. See match_rules.hpp. Must not: allocate or throw on the
// matching path (regex evaluation errors count as "no match").
#include "policy/match_rules.hpp"

#include "policy/compile_internal.hpp"

namespace nfegress::policy::detail {
namespace {

CompiledString compile_string(StringMatchType type, const std::string& value, const std::string& what,
                              std::vector<std::string>* errors) {
  CompiledString s;
  s.type = type;
  s.value = value;
  if (type == StringMatchType::RegularExpression) {
    try {
      s.re.emplace(value, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error& e) {
      s.bad = true;
      if (errors) errors->push_back(what + ": invalid regular expression '" + value + "': " + e.what());
    }
  }
  return s;
}

std::vector<CompiledHeader> compile_headers(const std::vector<HeaderMatch>& in, bool lower_name,
                                            const std::string& what, std::vector<std::string>* errors) {
  std::vector<CompiledHeader> out;
  for (const auto& h : in) {
    CompiledHeader c;
    c.name = h.name;
    if (lower_name)
      for (auto& ch : c.name)
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    c.value = compile_string(h.type, h.value, what + " " + h.name, errors);
    out.push_back(std::move(c));
  }
  return out;
}

bool headers_match(const std::vector<CompiledHeader>& want, const RequestInfo& req) {
  for (const auto& w : want) {
    bool found = false;
    for (const auto& [name, value] : req.headers)
      if (iequals(name, w.name) && w.value.matches(value)) {
        found = true;
        break;
      }
    if (!found) return false;
  }
  return true;
}

bool query_match(const std::vector<CompiledHeader>& want, std::string_view query) {
  for (const auto& w : want) {
    bool found = false;
    std::string_view rest = query;
    while (!found && !rest.empty()) {
      const auto amp = rest.find('&');
      const std::string_view kv = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
      const auto eq = kv.find('=');
      const std::string_view k = kv.substr(0, eq);
      const std::string_view v = eq == std::string_view::npos ? std::string_view{} : kv.substr(eq + 1);
      found = k == w.name && w.value.matches(v);
    }
    if (!found) return false;
  }
  return true;
}

// PathPrefix over whole segments: "/foo" matches "/foo" and "/foo/bar", not "/foobar".
bool prefix_match(std::string_view prefix, std::string_view path) {
  if (path.substr(0, prefix.size()) != prefix) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/' || prefix.empty();
}

}  // namespace

bool CompiledString::matches(std::string_view s) const {
  if (type != StringMatchType::RegularExpression) return s == value;
  if (bad || !re) return false;
  try {
    return std::regex_match(s.begin(), s.end(), *re);
  } catch (...) {  // error_complexity / error_stack: treat as no match
    return false;
  }
}

CompiledRule compile_rule(const RouteRule& rule, std::vector<std::string>* errors) {
  CompiledRule out;
  for (const auto& m : rule.http_matches) {
    CompiledHttpMatch c;
    const PathMatch path = m.path.value_or(PathMatch{});
    c.path_type = path.type;
    std::string value = path.value;
    if (path.type == StringMatchType::PathPrefix) {
      while (!value.empty() && value.back() == '/') value.pop_back();  // trailing '/' on the prefix ignored
      c.path_len = value.empty() ? 1 : value.size();
    } else {
      c.path_len = value.size();
    }
    c.path = compile_string(path.type, value, "path", errors);
    c.headers = compile_headers(m.headers, true, "header", errors);
    c.query = compile_headers(m.query_params, false, "query parameter", errors);
    c.method = m.method;
    out.http.push_back(std::move(c));
  }
  for (const auto& m : rule.grpc_matches) {
    CompiledGrpcMatch c;
    if (m.method) {
      if (m.method->service) c.service = compile_string(m.method->type, *m.method->service, "service", errors);
      if (m.method->method) c.method = compile_string(m.method->type, *m.method->method, "method", errors);
    }
    c.headers = compile_headers(m.headers, true, "header", errors);
    out.grpc.push_back(std::move(c));
  }
  return out;
}

std::optional<Score> match_http(const CompiledRule& rule, const RequestInfo& req) {
  const std::string_view path = req.path.empty() ? std::string_view("/") : std::string_view(req.path);
  if (rule.http.empty()) return Score{1, 0, 0, 0};  // no matches = PathPrefix "/"
  std::optional<Score> best;
  for (const auto& m : rule.http) {
    std::size_t len = 0;
    switch (m.path_type) {
      case StringMatchType::Exact:
        if (path != m.path.value) continue;
        len = m.path_len;
        break;
      case StringMatchType::PathPrefix:
        if (!prefix_match(m.path.value, path)) continue;
        len = m.path_len;
        break;
      case StringMatchType::RegularExpression:
        if (!m.path.matches(path)) continue;
        len = path.size();  // a regular expression matches the whole path
        break;
    }
    if (m.method && req.method != *m.method) continue;
    if (!headers_match(m.headers, req) || !query_match(m.query, req.query)) continue;
    const Score s{len, m.headers.size(), m.query.size(), m.method ? 1u : 0u};
    if (!best || s > *best) best = s;
  }
  return best;
}

std::optional<Score> match_grpc(const CompiledRule& rule, const RequestInfo& req) {
  if (rule.grpc.empty()) return Score{0, 0, 0, 0};
  // :path is /pkg.Service/Method
  std::string_view service, method;
  std::string_view p = req.path;
  if (!p.empty() && p.front() == '/') {
    p.remove_prefix(1);
    const auto slash = p.find('/');
    if (slash != std::string_view::npos) {
      service = p.substr(0, slash);
      method = p.substr(slash + 1);
    }
  }
  std::optional<Score> best;
  for (const auto& m : rule.grpc) {
    if (m.service && (service.empty() || !m.service->matches(service))) continue;
    if (m.method && (method.empty() || !m.method->matches(method))) continue;
    if (!headers_match(m.headers, req)) continue;
    const Score s{(m.service ? 1u : 0u) + (m.method ? 1u : 0u), m.headers.size(), 0, 0};
    if (!best || s > *best) best = s;
  }
  return best;
}

}  // namespace nfegress::policy::detail
