// tests/enforcer/http_request_test.cpp — parse_http_request over real first flights (whole, every prefix) and
// the host, framing and syntax rules that decide which route a request is judged by.
#include "enforcer/http_request.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "tests/enforcer/test_data.hpp"

namespace nfegress::enforcer {
namespace {

using namespace testing;  // NOLINT

// Keeps the parsed text alive: the views in the head point into it.
ParseStatus parse(std::string_view s, HttpRequestHead& h) {
  static std::vector<std::unique_ptr<std::string>> keep;
  keep.push_back(std::make_unique<std::string>(s));
  return parse_http_request(span_of(*keep.back()), h);
}
ParseStatus parse(std::string_view s) {
  HttpRequestHead h;
  return parse(s, h);
}
std::string req(std::string_view head_lines) { return std::string(head_lines) + "\r\n"; }

TEST(HttpRequest, RealFlightsWhole) {
  for (const Flight& f : flights("http")) {
    SCOPED_TRACE(f.file);
    HttpRequestHead h;
    ASSERT_EQ(parse_http_request(span_of(f.bytes), h), ParseStatus::Found);
    // manifest host is the Host header value; the parser strips the port.
    EXPECT_EQ(h.host + ":8080", f.host);
    EXPECT_TRUE(h.has_host);
    EXPECT_EQ(h.head_len, f.bytes.size());
    EXPECT_EQ(h.method, "GET");
    EXPECT_EQ(h.version, "HTTP/1.1");
    EXPECT_EQ(h.body, HttpRequestHead::Body::None);
    EXPECT_FALSE(h.connection_close);
    ASSERT_NE(h.find_header("user-agent"), nullptr);
  }
}

TEST(HttpRequest, CurlPathAndQuery) {
  const Bytes b = read_file(first_flights_dir() / "curl.http.bin");
  HttpRequestHead h;
  ASSERT_EQ(parse_http_request(span_of(b), h), ParseStatus::Found);
  EXPECT_EQ(h.target, "/some/path?q=1");
  EXPECT_EQ(h.path, "/some/path");
  EXPECT_EQ(h.query, "q=1");
  EXPECT_EQ(h.header_count, 3);
  EXPECT_EQ(h.headers[0].name, "Host");
  EXPECT_EQ(h.headers[0].value, "curl.http.example:8080");
}

TEST(HttpRequest, EveryPrefixNeedsMore) {
  for (const Flight& f : flights("http")) {
    for (std::size_t n = 0; n < f.bytes.size(); ++n) {
      HttpRequestHead h;
      ASSERT_EQ(parse_http_request(span_of(f.bytes).first(n), h), ParseStatus::NeedMore) << f.file << " " << n;
    }
  }
}

TEST(HttpRequest, BodyBytesAfterTheHeadAreNotPartOfIt) {
  HttpRequestHead h;
  const std::string head = req("POST /upload HTTP/1.1\r\nHost: a.example\r\nContent-Length: 5\r\n");
  ASSERT_EQ(parse(head + "hello", h), ParseStatus::Found);
  EXPECT_EQ(h.head_len, head.size());
  EXPECT_EQ(h.body, HttpRequestHead::Body::ContentLength);
  EXPECT_EQ(h.content_length, 5u);
}

TEST(HttpRequest, NotHttp) {
  for (std::string_view s : {"\x16\x03\x01\x02\x00", "SSH-2.0-OpenSSH_9.2\r\n", " GET / HTTP/1.1\r\n", "\r\nGET /",
                             "GET\t/ HTTP/1.1\r\n", "G(T / HTTP/1.1", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"}) {
    EXPECT_EQ(parse(s), ParseStatus::NotThisProtocol) << s;
  }
  EXPECT_EQ(parse(std::string(40, 'A')), ParseStatus::NotThisProtocol);  // no method is that long
  EXPECT_EQ(parse(""), ParseStatus::NeedMore);
  EXPECT_EQ(parse("GE"), ParseStatus::NeedMore);
  EXPECT_EQ(parse("GET "), ParseStatus::NeedMore);
}

TEST(HttpRequest, HostWithPortIsTheName) {
  HttpRequestHead h;
  ASSERT_EQ(parse(req("GET / HTTP/1.1\r\nHost: API.Example.com:443\r\n"), h), ParseStatus::Found);
  EXPECT_EQ(h.host, "api.example.com");
  ASSERT_EQ(parse(req("GET / HTTP/1.1\r\nHost:   a.example.  \r\n"), h), ParseStatus::Found);
  EXPECT_EQ(h.host, "a.example");
  ASSERT_EQ(parse(req("GET / HTTP/1.1\r\nHost: a.example:\r\n"), h), ParseStatus::Found);
  EXPECT_EQ(h.host, "a.example");
  ASSERT_EQ(parse(req("GET / HTTP/1.1\r\nHost: [2001:DB8::1]:80\r\n"), h), ParseStatus::Found);
  EXPECT_EQ(h.host, "2001:db8::1");
  ASSERT_EQ(parse(req("GET / HTTP/1.1\r\nHost: [2001:db8::1]\r\n"), h), ParseStatus::Found);
  EXPECT_EQ(h.host, "2001:db8::1");
  ASSERT_EQ(parse(req("GET / HTTP/1.1\r\nHost: 192.0.2.1:8080\r\n"), h), ParseStatus::Found);
  EXPECT_EQ(h.host, "192.0.2.1");
}

TEST(HttpRequest, BadHostValues) {
  for (std::string_view host : {"a.example:https", "a.example:123456", "user@a.example", "a..example", "a example",
                                "[2001:db8::1", "[2001:db8::1]x", "[v1.fe]", "a.example:80:80", "%61.example",
                                // brackets must hold an IPv6 address (found by fuzz_http)
                                "[...........]:8080", "[::::]", "[1.2.3.4]", "[2001:db8::1::2]"}) {
    EXPECT_EQ(parse(req("GET / HTTP/1.1\r\nHost: " + std::string(host) + "\r\n")), ParseStatus::Malformed)
        << host;
  }
}

TEST(HttpRequest, DuplicateOrConflictingHost) {
  EXPECT_EQ(parse(req("GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n")), ParseStatus::Malformed);
  EXPECT_EQ(parse(req("GET / HTTP/1.1\r\nHost: a.example\r\nhost: a.example\r\n")), ParseStatus::Malformed);
  EXPECT_EQ(parse(req("GET / HTTP/1.1\r\nHOST: a.example\r\nX: 1\r\nHost: a.example:80\r\n")),
            ParseStatus::Malformed);
}

TEST(HttpRequest, MissingOrEmptyHost) {
  EXPECT_EQ(parse(req("GET / HTTP/1.1\r\nAccept: */*\r\n")), ParseStatus::Malformed);  // RFC 9112 3.2
  HttpRequestHead h;
  ASSERT_EQ(parse(req("GET / HTTP/1.0\r\nAccept: */*\r\n"), h), ParseStatus::Found);
  EXPECT_FALSE(h.has_host);
  EXPECT_TRUE(h.connection_close);  // HTTP/1.0 default
  ASSERT_EQ(parse(req("GET / HTTP/1.1\r\nHost:\r\n"), h), ParseStatus::Found);
  EXPECT_FALSE(h.has_host);
  EXPECT_EQ(h.host, "");
}

TEST(HttpRequest, AbsoluteForm) {
  HttpRequestHead h;
  ASSERT_EQ(parse(req("GET http://Api.Example.com:8080/v1/x?y=2 HTTP/1.1\r\nHost: api.example.com:8080\r\n"), h),
            ParseStatus::Found);
  EXPECT_EQ(h.form, HttpRequestHead::Form::Absolute);
  EXPECT_EQ(h.host, "api.example.com");
  EXPECT_EQ(h.authority, "Api.Example.com:8080");
  EXPECT_EQ(h.path, "/v1/x");
  EXPECT_EQ(h.query, "y=2");
  ASSERT_EQ(parse(req("GET HTTPS://a.example HTTP/1.1\r\nHost: a.example\r\n"), h), ParseStatus::Found);
  EXPECT_EQ(h.path, "/");
  EXPECT_EQ(h.host, "a.example");
  ASSERT_EQ(parse(req("GET http://a.example?q HTTP/1.1\r\nHost: a.example\r\n"), h), ParseStatus::Found);
  EXPECT_EQ(h.path, "/");
  EXPECT_EQ(h.query, "q");
  // The Host header must name the same host as the target (the port may be spelled differently).
  ASSERT_EQ(parse(req("GET http://a.example/ HTTP/1.1\r\nHost: a.example:80\r\n"), h), ParseStatus::Found);
  EXPECT_EQ(parse(req("GET http://a.example/ HTTP/1.1\r\nHost: b.example\r\n")), ParseStatus::Malformed);
  EXPECT_EQ(parse(req("GET http://a.example/ HTTP/1.1\r\nHost:\r\n")), ParseStatus::Malformed);
  EXPECT_EQ(parse(req("GET http://a.example/ HTTP/1.1\r\nX: y\r\n")), ParseStatus::Malformed);  // no Host
  ASSERT_EQ(parse(req("GET http://a.example/ HTTP/1.0\r\n"), h), ParseStatus::Found);
  EXPECT_EQ(h.host, "a.example");
  EXPECT_EQ(parse(req("GET http://user@a.example/ HTTP/1.1\r\nHost: a.example\r\n")), ParseStatus::Malformed);
  EXPECT_EQ(parse(req("GET ftp://a.example/ HTTP/1.1\r\nHost: a.example\r\n")), ParseStatus::Malformed);
  EXPECT_EQ(parse(req("GET http:///x HTTP/1.1\r\nHost: a.example\r\n")), ParseStatus::Malformed);
}

TEST(HttpRequest, ConnectAndAsterisk) {
  HttpRequestHead h;
  ASSERT_EQ(parse(req("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n"), h), ParseStatus::Found);
  EXPECT_EQ(h.form, HttpRequestHead::Form::Authority);
  EXPECT_EQ(h.host, "a.example");
  EXPECT_TRUE(h.upgrade);
  EXPECT_EQ(parse(req("CONNECT a.example HTTP/1.1\r\nHost: a.example\r\n")), ParseStatus::Malformed);
  EXPECT_EQ(parse(req("CONNECT a.example:443 HTTP/1.1\r\nHost: b.example\r\n")), ParseStatus::Malformed);
  ASSERT_EQ(parse(req("OPTIONS * HTTP/1.1\r\nHost: a.example\r\n"), h), ParseStatus::Found);
  EXPECT_EQ(h.path, "*");
  EXPECT_EQ(parse(req("GET * HTTP/1.1\r\nHost: a.example\r\n")), ParseStatus::Malformed);
}

TEST(HttpRequest, RequestLineSyntax) {
  for (std::string_view line : {"GET  / HTTP/1.1", "GET / HTTP/1.1 ", "GET /", "GET / HTTP/2.0", "GET / HTTP/1.2",
                                "GET / http/1.1", "GET /a b HTTP/1.1", "GET /a#frag HTTP/1.1", "GET a HTTP/1.1",
                                "GET /\x7f HTTP/1.1", "GET /\xc3\xa9 HTTP/1.1"}) {
    EXPECT_EQ(parse(req(std::string(line) + "\r\nHost: a.example\r\n")), ParseStatus::Malformed) << line;
  }
}

TEST(HttpRequest, HeaderSyntax) {
  for (std::string_view hdr : {"X : y", "X\t: y", ": y", "X y", "X:\x01y", "X: y\rz", "(X): y", "X: y\x7f"}) {
    EXPECT_EQ(parse(req("GET / HTTP/1.1\r\nHost: a.example\r\n" + std::string(hdr) + "\r\n")),
              ParseStatus::Malformed)
        << hdr;
  }
  // obs-fold
  EXPECT_EQ(parse(req("GET / HTTP/1.1\r\nHost: a.example\r\nX: y\r\n z\r\n")), ParseStatus::Malformed);
  EXPECT_EQ(parse(req("GET / HTTP/1.1\r\n Host: a.example\r\n")), ParseStatus::Malformed);
  // bare LF anywhere, even before the end of the head is visible
  EXPECT_EQ(parse("GET / HTTP/1.1\nHost: a.example\n\n"), ParseStatus::Malformed);
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: a.example\n"), ParseStatus::Malformed);
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: a.example\r\n\n"), ParseStatus::Malformed);
  // obs-text and tabs in values are fine; values are trimmed
  HttpRequestHead h;
  ASSERT_EQ(parse(req("GET / HTTP/1.1\r\nHost: a.example\r\nX-Name:\t caf\xc3\xa9 \t\r\n"), h), ParseStatus::Found);
  EXPECT_EQ(h.find_header("x-name")->value, "caf\xc3\xa9");
}

TEST(HttpRequest, HeaderCountLimit) {
  std::string head = "GET / HTTP/1.1\r\nHost: a.example\r\n";
  for (int i = 1; i < 64; ++i) head += "X-" + std::to_string(i) + ": v\r\n";
  HttpRequestHead h;
  ASSERT_EQ(parse(req(head), h), ParseStatus::Found);
  EXPECT_EQ(h.header_count, 64);
  EXPECT_EQ(parse(req(head + "X-65: v\r\n")), ParseStatus::Malformed);
}

TEST(HttpRequest, HeadSizeLimit) {
  const std::string start = "GET / HTTP/1.1\r\nHost: a.example\r\nX-Big: ";
  const std::string end = "\r\n\r\n";
  const std::string fits = start + std::string(kMaxHttpHead - start.size() - end.size(), 'x') + end;
  ASSERT_EQ(fits.size(), kMaxHttpHead);
  EXPECT_EQ(parse(fits), ParseStatus::Found);
  const std::string over = start + std::string(kMaxHttpHead - start.size() - end.size() + 1, 'x') + end;
  EXPECT_EQ(parse(over), ParseStatus::Malformed);
  EXPECT_EQ(parse(over.substr(0, kMaxHttpHead - 1)), ParseStatus::NeedMore);
  EXPECT_EQ(parse(over.substr(0, kMaxHttpHead)), ParseStatus::Malformed);
}

TEST(HttpRequest, Framing) {
  HttpRequestHead h;
  ASSERT_EQ(parse(req("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n"), h), ParseStatus::Found);
  EXPECT_EQ(h.body, HttpRequestHead::Body::Chunked);
  ASSERT_EQ(parse(req("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\nContent-Length: 10\r\n"), h),
            ParseStatus::Found);
  EXPECT_EQ(h.content_length, 10u);
  ASSERT_EQ(parse(req("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n"), h), ParseStatus::Found);
  EXPECT_EQ(h.body, HttpRequestHead::Body::ContentLength);
  EXPECT_EQ(h.content_length, 0u);
  for (std::string_view bad : {"Content-Length: 10\r\nContent-Length: 11", "Content-Length: 1\r\nTransfer-Encoding: chunked",
                               "Transfer-Encoding: chunked\r\nContent-Length: 1", "Content-Length: -1",
                               "Content-Length: 1,1", "Content-Length: ", "Content-Length: 0x10",
                               "Content-Length: 1234567890123456789", "Transfer-Encoding: gzip",
                               "Transfer-Encoding: gzip, chunked", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
                               "Transfer-Encoding: chunked, identity"}) {
    EXPECT_EQ(parse(req("POST / HTTP/1.1\r\nHost: a\r\n" + std::string(bad) + "\r\n")), ParseStatus::Malformed) << bad;
  }
  EXPECT_EQ(parse(req("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n")), ParseStatus::Malformed);
}

TEST(HttpRequest, ConnectionFlags) {
  HttpRequestHead h;
  ASSERT_EQ(parse(req("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Close\r\nExpect: 100-Continue\r\n"), h),
            ParseStatus::Found);
  EXPECT_TRUE(h.connection_close);
  EXPECT_TRUE(h.expect_continue);
  EXPECT_FALSE(h.upgrade);
  ASSERT_EQ(parse(req("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"), h),
            ParseStatus::Found);
  EXPECT_TRUE(h.upgrade);
  ASSERT_EQ(parse(req("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"), h), ParseStatus::Found);
  EXPECT_FALSE(h.upgrade);  // without "Connection: upgrade" the server does not switch
  ASSERT_EQ(parse(req("GET / HTTP/1.0\r\nConnection: keep-alive\r\n"), h), ParseStatus::Found);
  EXPECT_FALSE(h.connection_close);
}

TEST(HttpRequest, OutputIsResetOnEveryCall) {
  HttpRequestHead h;
  ASSERT_EQ(parse(req("GET / HTTP/1.1\r\nHost: a.example\r\nContent-Length: 3\r\n"), h), ParseStatus::Found);
  ASSERT_EQ(parse(req("GET / HTTP/1.0\r\n"), h), ParseStatus::Found);
  EXPECT_FALSE(h.has_host);
  EXPECT_EQ(h.host, "");
  EXPECT_EQ(h.body, HttpRequestHead::Body::None);
  EXPECT_EQ(h.header_count, 0);
}

}  // namespace
}  // namespace nfegress::enforcer
