// tests/enforcer/http_framer_test.cpp — HttpStreamFramer: every request head of a keep-alive / pipelined stream
// is found, whatever the bodies (Content-Length, chunked with extensions and trailers) and however the stream
// is cut into reads.
#include <gtest/gtest.h>

#include <random>

#include "enforcer/http_request.hpp"
#include "tests/enforcer/test_data.hpp"

namespace nfegress::enforcer {
namespace {

using namespace testing;  // NOLINT

struct Walk {
  std::vector<std::string> requests;  // "METHOD target host"
  bool failed = false;                // framing failed
  ParseStatus last = ParseStatus::Found;  // status of the last head parse (NeedMore at a clean end)
  bool upgraded = false;
  std::string after_upgrade;  // the bytes after an Upgrade/CONNECT message: the framer leaves them to the caller
};

// Drives the framer as the enforcer does: bytes arrive in reads of the given sizes, appended to a buffer; a head
// is parsed from the unconsumed bytes whenever the framer is at a request start.
Walk walk(std::string_view stream, const std::vector<std::size_t>& reads) {
  Walk w;
  HttpStreamFramer framer;
  std::string buffer;  // received, not yet consumed
  std::size_t fed = 0, r = 0;
  while (fed < stream.size() || !buffer.empty()) {
    if (fed < stream.size()) {
      const std::size_t n = std::min(reads.empty() ? stream.size() : reads[r++ % reads.size()], stream.size() - fed);
      buffer.append(stream.substr(fed, n));
      fed += n;
    }
    for (;;) {
      if (framer.at_request_start()) {
        if (buffer.empty()) break;
        HttpRequestHead head;
        w.last = parse_http_request(span_of(buffer), head);
        if (w.last == ParseStatus::NeedMore) break;
        if (w.last != ParseStatus::Found) return w;
        w.requests.push_back(std::string(head.method) + " " + std::string(head.target) + " " + head.host);
        framer.begin_body(head);
        buffer.erase(0, head.head_len);
      } else {
        const std::size_t used = framer.consume_body(span_of(buffer));
        buffer.erase(0, used);
        if (framer.failed()) {
          w.failed = true;
          return w;
        }
        if (framer.upgraded()) {
          EXPECT_EQ(framer.consume_body(span_of(buffer)), 0u);
          w.upgraded = true;
          w.after_upgrade = buffer + std::string(stream.substr(fed));
          return w;
        }
        if (!framer.at_request_start()) break;
      }
    }
    if (fed == stream.size() && (buffer.empty() || w.last == ParseStatus::NeedMore || !framer.at_request_start()))
      break;
  }
  return w;
}

const std::string kPipeline =
    "GET /one HTTP/1.1\r\nHost: a.example\r\n\r\n"
    "POST /two HTTP/1.1\r\nHost: a.example\r\nContent-Length: 11\r\n\r\nhello world"
    "PUT /three HTTP/1.1\r\nHost: a.example:8080\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5\r\nhello\r\n6;name=value;flag\r\n world\r\n0\r\nX-Trailer: yes\r\nX-Other: 1\r\n\r\n"
    "POST /four HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n"
    "1a\r\nGET /smuggled HTTP/1.1\r\n\r\n\r\n0\r\n\r\n"
    "DELETE /five HTTP/1.1\r\nHost: b.example\r\nContent-Length: 0\r\n\r\n"
    "GET /six HTTP/1.1\r\nHost: c.example\r\nConnection: close\r\n\r\n";

const std::vector<std::string> kPipelineRequests = {
    "GET /one a.example",    "POST /two a.example",     "PUT /three a.example",
    "POST /four a.example",  "DELETE /five b.example",  "GET /six c.example",
};

TEST(HttpFramer, PipelinedStreamInOneRead) {
  const Walk w = walk(kPipeline, {});
  EXPECT_FALSE(w.failed);
  EXPECT_EQ(w.requests, kPipelineRequests);
}

TEST(HttpFramer, PipelinedStreamByteByByte) {
  const Walk w = walk(kPipeline, {1});
  EXPECT_FALSE(w.failed);
  EXPECT_EQ(w.requests, kPipelineRequests);
}

TEST(HttpFramer, PipelinedStreamEveryTwoWaySplit) {
  for (std::size_t cut = 1; cut < kPipeline.size(); ++cut) {
    const Walk w = walk(kPipeline, {cut, kPipeline.size()});
    ASSERT_FALSE(w.failed) << cut;
    ASSERT_EQ(w.requests, kPipelineRequests) << cut;
  }
}

TEST(HttpFramer, PipelinedStreamRandomReads) {
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    std::vector<std::size_t> reads;
    for (int k = 0; k < 16; ++k) reads.push_back(std::uniform_int_distribution<std::size_t>(1, 90)(rng));
    const Walk w = walk(kPipeline, reads);
    ASSERT_FALSE(w.failed) << i;
    ASSERT_EQ(w.requests, kPipelineRequests) << i;
  }
}

TEST(HttpFramer, KeepAliveFirstFlightsBackToBack) {
  std::string stream;
  std::vector<std::string> expect;
  for (int round = 0; round < 3; ++round) {
    for (const Flight& f : flights("http")) {
      stream.append(f.bytes.begin(), f.bytes.end());
      HttpRequestHead h;
      ASSERT_EQ(parse_http_request(span_of(f.bytes), h), ParseStatus::Found);
      expect.push_back(std::string(h.method) + " " + std::string(h.target) + " " + h.host);
    }
  }
  EXPECT_EQ(walk(stream, {}).requests, expect);
  EXPECT_EQ(walk(stream, {3}).requests, expect);
}

TEST(HttpFramer, StartsAtARequest) {
  HttpStreamFramer f;
  EXPECT_TRUE(f.at_request_start());
  EXPECT_FALSE(f.failed());
  EXPECT_EQ(f.consume_body(span_of("GET / HTTP/1.1\r\n")), 0u);  // nothing is body at a request start
  EXPECT_EQ(f.requests(), 0u);
}

TEST(HttpFramer, ContentLengthBodyAcrossReads) {
  HttpStreamFramer f;
  HttpRequestHead h;
  h.body = HttpRequestHead::Body::ContentLength;
  h.content_length = 10;
  f.begin_body(h);
  EXPECT_FALSE(f.at_request_start());
  EXPECT_EQ(f.consume_body(span_of("0123")), 4u);
  EXPECT_FALSE(f.at_request_start());
  EXPECT_EQ(f.consume_body(span_of("456789GET /")), 6u);
  EXPECT_TRUE(f.at_request_start());
  EXPECT_EQ(f.requests(), 1u);
}

TEST(HttpFramer, HugeContentLengthIsCounted) {
  HttpStreamFramer f;
  HttpRequestHead h;
  h.body = HttpRequestHead::Body::ContentLength;
  h.content_length = 1ull << 40;
  f.begin_body(h);
  const std::string chunk(4096, 'x');
  for (int i = 0; i < 10; ++i) EXPECT_EQ(f.consume_body(span_of(chunk)), chunk.size());
  EXPECT_FALSE(f.at_request_start());
}

std::string chunked_request(std::string_view body) {
  return "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string(body) +
         "GET /next HTTP/1.1\r\nHost: a\r\n\r\n";
}

TEST(HttpFramer, ChunkedVariantsFindTheNextRequest) {
  for (std::string_view body : {"0\r\n\r\n", "000\r\n\r\n", "A\r\n0123456789\r\n0\r\n\r\n",
                                "a;x=1\r\n0123456789\r\n0;last\r\n\r\n", "3 ;x\r\nabc\r\n0\r\n\r\n",
                                "1\r\n\n\r\n0\r\nT: 1\r\n\r\n", "ffff;x=\"quoted\"\r\n" /* body below */}) {
    std::string b(body);
    if (b.rfind("ffff", 0) == 0) b += std::string(0xffff, 'z') + "\r\n0\r\n\r\n";
    const Walk w = walk(chunked_request(b), {});
    EXPECT_FALSE(w.failed) << body;
    EXPECT_EQ(w.requests, (std::vector<std::string>{"POST / a", "GET /next a"})) << body;
    const Walk w1 = walk(chunked_request(b), {1});
    EXPECT_EQ(w1.requests, (std::vector<std::string>{"POST / a", "GET /next a"})) << body;
  }
}

TEST(HttpFramer, BrokenChunkFramingFails) {
  for (std::string_view body : {"x\r\n", "\r\n", ";ext\r\n", "5\nhello\r\n", "5\r\nhelloX\r\n",
                                "5\r\nhello\r\r", "5\r\nhello\n", "0\r\n\n", "0\r\nT: 1\n\r\n", "0\r\n T: 1\r\n\r\n",
                                "5 6\r\nhello", "5;a\x01\r\n", "-5\r\n", "0x5\r\n",
                                "10000000000000000\r\n" /* 2^64 */}) {
    const Walk w = walk(chunked_request(body), {});
    EXPECT_TRUE(w.failed) << body;
    EXPECT_EQ(w.requests.size(), 1u) << body;
  }
}

TEST(HttpFramer, LimitsOnChunkLinesAndTrailers) {
  EXPECT_TRUE(walk(chunked_request("5;" + std::string(kMaxChunkLine, 'e') + "\r\nhello\r\n0\r\n\r\n"), {}).failed);
  EXPECT_FALSE(walk(chunked_request("5;" + std::string(100, 'e') + "\r\nhello\r\n0\r\n\r\n"), {}).failed);
  std::string trailers = "0\r\n";
  while (trailers.size() < kMaxTrailerBytes + 1000) trailers += "X-T: " + std::string(50, 't') + "\r\n";
  EXPECT_TRUE(walk(chunked_request(trailers + "\r\n"), {}).failed);
}

TEST(HttpFramer, SmuggledHeadInsideABodyIsNotARequest) {
  // The body of /two looks like a request; the framer skips it as body and finds /three.
  const std::string body = "GET /admin HTTP/1.1\r\nHost: b\r\n\r\n";
  const std::string s = "POST /two HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(body.size()) +
                        "\r\n\r\n" + body + "GET /three HTTP/1.1\r\nHost: a\r\n\r\n";
  EXPECT_EQ(walk(s, {}).requests, (std::vector<std::string>{"POST /two a", "GET /three a"}));
}

TEST(HttpFramer, UpgradeLeavesTheNextBytesToTheCaller) {
  const std::string s =
      "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n\x81\x05hello";
  for (const std::vector<std::size_t>& reads : {std::vector<std::size_t>{}, {1}, {7, 3}}) {
    const Walk w = walk(s, reads);
    EXPECT_TRUE(w.upgraded);
    EXPECT_EQ(w.requests.size(), 1u);
    EXPECT_EQ(w.after_upgrade, "\x81\x05hello");
  }
  HttpStreamFramer f;
  HttpRequestHead h;
  h.upgrade = true;
  h.body = HttpRequestHead::Body::ContentLength;
  h.content_length = 2;
  f.begin_body(h);
  EXPECT_FALSE(f.upgraded());  // the body comes first
  EXPECT_EQ(f.consume_body(span_of("ab\x81\x05")), 2u);
  EXPECT_TRUE(f.upgraded());
  EXPECT_FALSE(f.at_request_start());
  EXPECT_EQ(f.consume_body(span_of("\x81\x05")), 0u);  // not consumed: the caller looks at them
  EXPECT_TRUE(f.upgraded());
  // The server refused (the next bytes may be a request): framing goes on as HTTP.
  f.resume_http();
  EXPECT_TRUE(f.at_request_start());
  EXPECT_EQ(f.requests(), 1u);
}

TEST(HttpFramer, ResumeHttpOnlyAfterAnUpgrade) {
  HttpStreamFramer f;
  HttpRequestHead h;
  h.body = HttpRequestHead::Body::ContentLength;
  h.content_length = 3;
  f.begin_body(h);
  f.resume_http();
  EXPECT_FALSE(f.at_request_start());  // still in the body
  EXPECT_EQ(f.consume_body(span_of("abc")), 3u);
  EXPECT_TRUE(f.at_request_start());
}

TEST(HttpFramer, MayStartHttpRequest) {
  // A method's token characters, and what servers skip before a request line (empty lines, lenient whitespace).
  for (char c : std::string_view("GPOSTDELabcz09!#$%&'*+-.^_`|~\r\n \t\v\f"))
    EXPECT_TRUE(may_start_http_request(static_cast<std::uint8_t>(c))) << static_cast<int>(c);
  EXPECT_TRUE(may_start_http_request(0));
  // WebSocket frames (FIN + opcode, RSV1 with permessage-deflate), TLS records, delimiters, controls.
  for (int c : std::initializer_list<int>{0x81, 0x82, 0x88, 0x89, 0x8a, 0xc1, 0xc2, 0x01, 0x02, 0x14, 0x15, 0x16,
                                          0x17, 0x7f, 0xff, '(', ')', ',', '/', ':', ';', '<', '=', '>', '?', '@',
                                          '[', '\\', ']', '{', '}', '"'})
    EXPECT_FALSE(may_start_http_request(static_cast<std::uint8_t>(c))) << c;
}

TEST(HttpFramer, FailedStaysFailed) {
  HttpStreamFramer f;
  HttpRequestHead h;
  h.body = HttpRequestHead::Body::Chunked;
  f.begin_body(h);
  EXPECT_EQ(f.consume_body(span_of("5x")), 1u);
  EXPECT_TRUE(f.failed());
  EXPECT_EQ(f.consume_body(span_of("0\r\n\r\n")), 0u);
  f.begin_body(HttpRequestHead{});
  EXPECT_TRUE(f.failed());
  EXPECT_FALSE(f.at_request_start());
}

}  // namespace
}  // namespace nfegress::enforcer
