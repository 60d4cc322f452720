// tests/enforcer/h2_test_frames.hpp — test helpers: HTTP/2 client frames built with nghttp2's HPACK deflater
// (one deflater per connection, so later header blocks refer to the dynamic table like a real client's).
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "enforcer/h2_stream.hpp"

namespace nfegress::enforcer::testing {

using H2Bytes = std::vector<std::uint8_t>;
using Fields = std::vector<std::pair<std::string, std::string>>;

inline void put_frame(H2Bytes& out, std::uint8_t type, std::uint8_t flags, std::uint32_t stream,
                      const H2Bytes& payload) {
  const auto n = static_cast<std::uint32_t>(payload.size());
  const std::uint8_t h[9] = {static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 8),
                             static_cast<std::uint8_t>(n), type, flags,
                             static_cast<std::uint8_t>(stream >> 24), static_cast<std::uint8_t>(stream >> 16),
                             static_cast<std::uint8_t>(stream >> 8), static_cast<std::uint8_t>(stream)};
  out.insert(out.end(), h, h + 9);
  out.insert(out.end(), payload.begin(), payload.end());
}

inline H2Bytes preface_and_settings() {
  H2Bytes out(kH2Preface.begin(), kH2Preface.end());
  put_frame(out, 0x4, 0, 0, {});  // empty SETTINGS
  return out;
}

class Deflater {
 public:
  Deflater() {
    nghttp2_hd_deflater* d = nullptr;
    nghttp2_hd_deflate_new(&d, 4096);
    d_.reset(d);
  }
  H2Bytes block(const Fields& fields) {
    std::vector<nghttp2_nv> nv;
    for (const auto& [n, v] : fields)
      nv.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(n.data())),
                    reinterpret_cast<std::uint8_t*>(const_cast<char*>(v.data())), n.size(), v.size(),
                    NGHTTP2_NV_FLAG_NONE});
    H2Bytes out(nghttp2_hd_deflate_bound(d_.get(), nv.data(), nv.size()));
    const auto n = nghttp2_hd_deflate_hd(d_.get(), out.data(), out.size(), nv.data(), nv.size());
    out.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
    return out;
  }

 private:
  struct Free {
    void operator()(nghttp2_hd_deflater* d) const { nghttp2_hd_deflate_del(d); }
  };
  std::unique_ptr<nghttp2_hd_deflater, Free> d_;
};

inline Fields grpc_call(std::string authority, std::string path) {
  return {{":method", "POST"}, {":scheme", "http"}, {":path", std::move(path)}, {":authority", std::move(authority)},
          {"content-type", "application/grpc"}, {"te", "trailers"}};
}

}  // namespace nfegress::enforcer::testing
