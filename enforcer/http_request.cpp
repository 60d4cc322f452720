// enforcer/http_request.cpp — layer: pure parsers. HTTP/1.x request head (RFC 9112 2-3, 5-7; RFC 9110 7.2).
// Strict on everything that decides where a message ends or which host it is for (the places request smuggling
// and host confusion live): CRLF only, no obs-fold, no whitespace before a colon, one Host, one framing.
// Must not: allocate (except HttpRequestHead::host), log, read a clock, throw, or read past the span.
#include "enforcer/http_request.hpp"

#include <arpa/inet.h>

#include <cstring>

#include "enforcer/dns_name.hpp"

namespace nfegress::enforcer {
namespace {

using sv = std::string_view;

// RFC 9110 5.6.2 tchar.
constexpr bool is_tchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.':
    case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}
constexpr bool is_field_vchar(unsigned char c) { return c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7f); }
constexpr bool is_ows(char c) { return c == ' ' || c == '\t'; }
constexpr char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool ieq(sv a, sv b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

sv trim_ows(sv v) {
  while (!v.empty() && is_ows(v.front())) v.remove_prefix(1);
  while (!v.empty() && is_ows(v.back())) v.remove_suffix(1);
  return v;
}

// Content-Length = 1*DIGIT. Values above 2^62 are refused rather than risking overflow.
bool parse_content_length(sv v, std::uint64_t& out) {
  if (v.empty() || v.size() > 18) return false;
  std::uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  out = n;
  return true;
}

// uri-host [ ":" port ] (RFC 9110 4.2.3, 7.2). Writes the normalised host (lowercase, no brackets, no trailing
// dot). userinfo, IPvFuture, zone ids and percent-encoding are refused.
bool parse_authority(sv a, bool require_port, std::string& host) {
  sv name, port;
  bool bracketed = false;
  if (!a.empty() && a.front() == '[') {
    const std::size_t close = a.find(']');
    if (close == sv::npos) return false;
    name = a.substr(1, close - 1);
    bracketed = true;
    sv after = a.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return false;
      port = after.substr(1);
    } else if (require_port) {
      return false;
    }
  } else {
    const std::size_t colon = a.find(':');
    name = a.substr(0, colon);
    if (colon != sv::npos) port = a.substr(colon + 1);
    else if (require_port) return false;
  }
  if (require_port && port.empty()) return false;
  if (port.size() > 5) return false;
  for (char c : port)
    if (c < '0' || c > '9') return false;
  if (bracketed) {
    if (name.size() < 2 || name.size() > 45) return false;
    char lit[46];
    for (std::size_t i = 0; i < name.size(); ++i) {
      const char c = lower(name[i]);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' || c == '.')) return false;
      lit[i] = c;
    }
    lit[name.size()] = '\0';
    // The brackets must hold an IPv6 address ("[...]" or "[1.2]" are not hosts); inet_pton neither allocates nor
    // reads past the terminator.
    in6_addr a6;
    if (inet_pton(AF_INET6, lit, &a6) != 1) return false;
    host.assign(lit, name.size());
    return true;
  }
  char buf[kMaxDnsName];
  const std::size_t n = normalize_dns_name(name, buf, sizeof buf);
  if (n == 0) return false;
  host.assign(buf, n);
  return true;
}

void split_path_query(sv pq, HttpRequestHead& out) {
  const std::size_t q = pq.find('?');
  out.path = pq.substr(0, q);
  out.query = q == sv::npos ? sv{} : pq.substr(q + 1);
  if (out.path.empty()) out.path = "/";  // absolute-form "http://host" or "http://host?x" means path "/"
}

// request-target (RFC 9112 3.2). Fills path/query/form/authority.
bool parse_target(sv method, sv target, HttpRequestHead& out) {
  for (char c : target)
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e || c == '#') return false;
  if (target.front() == '/') {
    out.form = HttpRequestHead::Form::Origin;
    split_path_query(target, out);
    return true;
  }
  if (method == "CONNECT") {
    out.form = HttpRequestHead::Form::Authority;
    out.authority = target;
    return true;
  }
  if (target == "*") {
    out.form = HttpRequestHead::Form::Asterisk;
    out.path = target;
    return method == "OPTIONS";
  }
  const std::size_t sep = target.find("://");
  if (sep == sv::npos) return false;
  const sv scheme = target.substr(0, sep);
  if (!ieq(scheme, "http") && !ieq(scheme, "https")) return false;
  const sv rest = target.substr(sep + 3);
  const std::size_t end = rest.find_first_of("/?");
  out.form = HttpRequestHead::Form::Absolute;
  out.authority = rest.substr(0, end);
  split_path_query(end == sv::npos ? sv{} : rest.substr(end), out);
  return !out.authority.empty();
}

struct HeaderFacts {
  const HttpHeaderView* host = nullptr;
  bool has_content_length = false;
  bool has_transfer_encoding = false;
  bool upgrade_header = false;
  bool connection_upgrade = false;
  bool connection_keep_alive = false;
};

// Interprets one header; false = Malformed.
bool note_header(const HttpHeaderView& h, HeaderFacts& f, HttpRequestHead& out) {
  if (ieq(h.name, "host")) {
    if (f.host != nullptr) return false;  // RFC 9112 3.2: more than one Host -> 400
    f.host = &h;
  } else if (ieq(h.name, "content-length")) {
    std::uint64_t n = 0;
    if (!parse_content_length(h.value, n)) return false;
    if (f.has_content_length && n != out.content_length) return false;
    f.has_content_length = true;
    out.content_length = n;
  } else if (ieq(h.name, "transfer-encoding")) {
    // Only a lone "chunked" has a framing every server agrees on; anything else cannot be followed safely.
    if (f.has_transfer_encoding || !ieq(h.value, "chunked")) return false;
    f.has_transfer_encoding = true;
  } else if (ieq(h.name, "expect")) {
    if (ieq(h.value, "100-continue")) out.expect_continue = true;
  } else if (ieq(h.name, "upgrade")) {
    f.upgrade_header = true;
  } else if (ieq(h.name, "connection")) {
    sv list = h.value;
    while (!list.empty()) {
      const std::size_t comma = list.find(',');
      const sv token = trim_ows(list.substr(0, comma));
      if (ieq(token, "close")) out.connection_close = true;
      if (ieq(token, "upgrade")) f.connection_upgrade = true;
      if (ieq(token, "keep-alive")) f.connection_keep_alive = true;
      list = comma == sv::npos ? sv{} : list.substr(comma + 1);
    }
  }
  return true;
}

// Splits one header line into name and value; false = Malformed.
bool split_header(sv line, HttpHeaderView& h) {
  if (line.empty() || is_ows(line.front())) return false;  // obs-fold (RFC 9112 5.2) or leading whitespace
  const std::size_t colon = line.find(':');
  if (colon == sv::npos || colon == 0) return false;
  h.name = line.substr(0, colon);
  for (char c : h.name)
    if (!is_tchar(static_cast<unsigned char>(c))) return false;  // also whitespace before the colon (5.1)
  const sv value = line.substr(colon + 1);
  for (char c : value)
    if (!is_field_vchar(static_cast<unsigned char>(c))) return false;  // CR, NUL, other controls
  h.value = trim_ows(value);
  return true;
}

// Resolves the request's host from the target and/or Host header.
bool resolve_host(const HeaderFacts& f, bool http11, HttpRequestHead& out) {
  if (http11 && f.host == nullptr) return false;  // RFC 9112 3.2
  std::string from_header;
  if (f.host != nullptr && !f.host->value.empty() && !parse_authority(f.host->value, false, from_header))
    return false;
  if (out.form == HttpRequestHead::Form::Absolute || out.form == HttpRequestHead::Form::Authority) {
    const bool need_port = out.form == HttpRequestHead::Form::Authority;
    if (out.authority.find('@') != sv::npos || !parse_authority(out.authority, need_port, out.host)) return false;
    // The server uses the target's authority; a Host that names something else is an attempt to be judged by
    // one name and served by another.
    if (f.host != nullptr && from_header != out.host) return false;
  } else {
    out.host = std::move(from_header);
  }
  out.has_host = !out.host.empty();
  return true;
}

}  // namespace

const HttpHeaderView* HttpRequestHead::find_header(std::string_view name) const {
  for (std::size_t i = 0; i < header_count; ++i)
    if (ieq(headers[i].name, name)) return &headers[i];
  return nullptr;
}

ParseStatus parse_http_request(std::span<const std::uint8_t> bytes, HttpRequestHead& out) {
  {
    std::string keep = std::move(out.host);  // reuse its capacity
    keep.clear();
    out = HttpRequestHead{};
    out.host = std::move(keep);
  }
  const sv s(reinterpret_cast<const char*>(bytes.data()), bytes.size());

  // method SP: anything else first is another protocol.
  std::size_t m = 0;
  while (m < s.size() && m <= kMaxHttpMethod && is_tchar(static_cast<unsigned char>(s[m]))) ++m;
  if (m > kMaxHttpMethod) return ParseStatus::NotThisProtocol;
  if (m == s.size()) return ParseStatus::NeedMore;
  if (m == 0 || s[m] != ' ') return ParseStatus::NotThisProtocol;

  // Find the blank line; every LF must end a CRLF.
  const std::size_t limit = s.size() < kMaxHttpHead ? s.size() : kMaxHttpHead;
  std::size_t line_start = 0, head_end = 0;
  for (;;) {
    const void* lf = std::memchr(s.data() + line_start, '\n', limit - line_start);
    if (lf == nullptr) return s.size() >= kMaxHttpHead ? ParseStatus::Malformed : ParseStatus::NeedMore;
    const std::size_t at = static_cast<std::size_t>(static_cast<const char*>(lf) - s.data());
    if (at == 0 || s[at - 1] != '\r') return ParseStatus::Malformed;  // bare LF
    if (at - line_start == 1) {
      head_end = at + 1;
      break;
    }
    line_start = at + 1;
  }
  if (head_end <= m + 3) return ParseStatus::Malformed;  // blank line right after the method
  out.head_len = static_cast<std::uint32_t>(head_end);

  // Request line.
  const std::size_t rl_end = s.find("\r\n");
  const sv request_line = s.substr(0, rl_end);
  out.method = request_line.substr(0, m);
  const sv rest = request_line.substr(m + 1);
  const std::size_t sp = rest.find(' ');
  if (sp == sv::npos || sp == 0) return ParseStatus::Malformed;
  out.target = rest.substr(0, sp);
  out.version = rest.substr(sp + 1);
  if (out.method == "PRI" && out.target == "*" && out.version == "HTTP/2.0") return ParseStatus::NotThisProtocol;
  const bool http11 = out.version == "HTTP/1.1";
  if (!http11 && out.version != "HTTP/1.0") return ParseStatus::Malformed;
  if (!parse_target(out.method, out.target, out)) return ParseStatus::Malformed;

  // Header fields.
  HeaderFacts facts;
  std::size_t pos = rl_end + 2;
  while (pos + 2 < head_end) {
    const std::size_t eol = s.find("\r\n", pos);
    if (out.header_count == out.headers.size()) return ParseStatus::Malformed;
    HttpHeaderView& h = out.headers[out.header_count];
    if (!split_header(s.substr(pos, eol - pos), h)) return ParseStatus::Malformed;
    ++out.header_count;
    if (!note_header(h, facts, out)) return ParseStatus::Malformed;
    pos = eol + 2;
  }

  // Framing (RFC 9112 6.1-6.3): both Content-Length and Transfer-Encoding is the classic smuggling vector.
  if (facts.has_transfer_encoding && (facts.has_content_length || !http11)) return ParseStatus::Malformed;
  if (facts.has_transfer_encoding) out.body = HttpRequestHead::Body::Chunked;
  else if (facts.has_content_length) out.body = HttpRequestHead::Body::ContentLength;
  if (!http11 && !facts.connection_keep_alive) out.connection_close = true;
  out.upgrade = (facts.upgrade_header && facts.connection_upgrade) || out.method == "CONNECT";

  if (!resolve_host(facts, http11, out)) return ParseStatus::Malformed;
  return ParseStatus::Found;
}

bool may_start_http_request(std::uint8_t first) {
  switch (first) {
    case '\0': case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
      return true;
    default:
      return is_tchar(first);
  }
}

bool normalize_authority(std::string_view authority, std::string& host) {
  return authority.find('@') == std::string_view::npos && parse_authority(authority, false, host);
}

}  // namespace nfegress::enforcer
