// tests/fuzz/fuzz_http.cpp — libFuzzer target: any bytes as a client->server HTTP/1.x stream through the request
// head parser and the keep-alive/pipelining framer, driven exactly as the enforcer drives them. Must never crash,
// read past the span or stop making progress; a Found head lies within the bytes and re-parses identically from
// its own head_len bytes, and its shorter prefixes only ever ask for more.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "enforcer/http_request.hpp"
#include "fuzz_check.hpp"

using nfegress::enforcer::HttpRequestHead;
using nfegress::enforcer::HttpStreamFramer;
using nfegress::enforcer::ParseStatus;

static void check_head(std::span<const std::uint8_t> in, const HttpRequestHead& h) {
  FUZZ_CHECK(h.head_len > 0 && h.head_len <= in.size() && h.head_len <= nfegress::enforcer::kMaxHttpHead);
  FUZZ_CHECK(h.header_count <= nfegress::enforcer::kMaxHttpHeaders);
  for (char c : h.host) FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
  FUZZ_CHECK(!h.has_host || h.host.empty() || h.host.back() != '.');
  HttpRequestHead again;
  FUZZ_CHECK(nfegress::enforcer::parse_http_request(in.first(h.head_len), again) == ParseStatus::Found);
  FUZZ_CHECK(again.host == h.host && again.head_len == h.head_len && again.method == h.method &&
             again.path == h.path && again.body == h.body && again.content_length == h.content_length);
  const std::size_t len = h.head_len;
  for (std::size_t cut : {std::size_t{1}, len / 2, len - 1}) {
    if (cut == 0 || cut >= len) continue;
    HttpRequestHead part;
    const auto st = nfegress::enforcer::parse_http_request(in.first(cut), part);
    FUZZ_CHECK(st == ParseStatus::NeedMore);
  }
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> rest(data, size);
  HttpStreamFramer framer;
  std::uint64_t heads = 0;
  while (!rest.empty()) {
    if (framer.upgraded() || framer.failed()) break;
    if (framer.at_request_start()) {
      HttpRequestHead head;
      if (nfegress::enforcer::parse_http_request(rest, head) != ParseStatus::Found) break;
      check_head(rest, head);
      framer.begin_body(head);
      ++heads;
      FUZZ_CHECK(framer.requests() == heads);
      rest = rest.subspan(head.head_len);
      continue;
    }
    const std::size_t used = framer.consume_body(rest);
    FUZZ_CHECK(used <= rest.size());
    // Progress: either bytes were consumed or the framer is at the next head (or failed).
    FUZZ_CHECK(used > 0 || framer.at_request_start() || framer.failed());
    rest = rest.subspan(used);
  }
  return 0;
}
