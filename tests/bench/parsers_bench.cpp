// tests/bench/parsers_bench.cpp — microbenchmarks of the enforcer's pure parsers on real first flights
// (tests/data/first-flights/): SNI extraction per ClientHello (target <= 200 ns), HTTP request head
// parsing per request, and the keep-alive framer over a pipelined stream.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include "enforcer/http_request.hpp"
#include "enforcer/tls_client_hello.hpp"

namespace {
using Bytes = std::vector<std::uint8_t>;
namespace en = nfegress::enforcer;

Bytes flight(const std::string& name) {
  const std::filesystem::path dir = NFEGRESS_FIRST_FLIGHTS;  // tests/data/first-flights/ of the source tree
  std::ifstream in(dir / name, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "missing %s\n", (dir / name).c_str());
    std::exit(1);
  }
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void BM_SniExtraction(benchmark::State& state, const std::string& file) {
  const Bytes b = flight(file);
  en::ClientHelloInfo info;
  for (auto _ : state) {
    const auto st = en::parse_client_hello(b, info);
    benchmark::DoNotOptimize(st);
    benchmark::DoNotOptimize(info.sni_len);
  }
  if (en::parse_client_hello(b, info) != en::ParseStatus::Found || !info.has_sni) state.SkipWithError("no SNI");
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * b.size()));
  state.SetLabel(std::to_string(b.size()) + " B");
}
BENCHMARK_CAPTURE(BM_SniExtraction, curl, std::string("curl.tls.bin"));
BENCHMARK_CAPTURE(BM_SniExtraction, openssl, std::string("openssl.tls.bin"));
BENCHMARK_CAPTURE(BM_SniExtraction, python, std::string("python.tls.bin"));
BENCHMARK_CAPTURE(BM_SniExtraction, chromium_pq, std::string("chromium.tls.bin"));

void BM_HttpRequest(benchmark::State& state, const std::string& file) {
  const Bytes b = flight(file);
  en::HttpRequestHead head;
  for (auto _ : state) {
    const auto st = en::parse_http_request(b, head);
    benchmark::DoNotOptimize(st);
    benchmark::DoNotOptimize(head.host.data());
  }
  if (en::parse_http_request(b, head) != en::ParseStatus::Found) state.SkipWithError("not found");
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * b.size()));
  state.SetLabel(std::to_string(b.size()) + " B");
}
BENCHMARK_CAPTURE(BM_HttpRequest, curl, std::string("curl.http.bin"));
BENCHMARK_CAPTURE(BM_HttpRequest, wget, std::string("wget.http.bin"));

// 100 pipelined requests (curl, wget, and a POST with a chunked body) framed and parsed as the enforcer does.
void BM_HttpPipelinedPerRequest(benchmark::State& state) {
  const Bytes curl = flight("curl.http.bin"), wget = flight("wget.http.bin");
  const std::string post =
      "POST /upload HTTP/1.1\r\nHost: post.example\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
  Bytes stream;
  for (int i = 0; i < 100; ++i) {
    const Bytes& b = i % 3 == 0 ? curl : i % 3 == 1 ? wget : Bytes(post.begin(), post.end());
    stream.insert(stream.end(), b.begin(), b.end());
  }
  std::uint64_t requests = 0;
  for (auto _ : state) {
    en::HttpStreamFramer framer;
    std::span<const std::uint8_t> rest(stream);
    en::HttpRequestHead head;
    while (!rest.empty()) {
      if (framer.at_request_start()) {
        if (en::parse_http_request(rest, head) != en::ParseStatus::Found) break;
        framer.begin_body(head);
        rest = rest.subspan(head.head_len);
      } else {
        rest = rest.subspan(framer.consume_body(rest));
        if (framer.failed()) break;
      }
    }
    requests += framer.requests();
  }
  if (requests != 100 * static_cast<std::uint64_t>(state.iterations())) state.SkipWithError("framing lost requests");
  state.SetItemsProcessed(static_cast<std::int64_t>(requests));
}
BENCHMARK(BM_HttpPipelinedPerRequest);

}  // namespace
