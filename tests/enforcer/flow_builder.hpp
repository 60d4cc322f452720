// tests/enforcer/flow_builder.hpp — fluent builder of raw IPv4/IPv6 TCP packets for enforcer tests (Katran-style
// fixtures): tcp4("192.0.2.1", 40000, "203.0.113.10", 443).seq(1000).ack_flag().payload(bytes).bytes().
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "policy/ip.hpp"

namespace nfegress::test {

class TcpBuilder {
 public:
  TcpBuilder(std::string_view src, std::uint16_t sport, std::string_view dst, std::uint16_t dport)
      : src_(*policy::parse_ip(src)), dst_(*policy::parse_ip(dst)), sport_(sport), dport_(dport) {}
  TcpBuilder& seq(std::uint32_t s) { seq_ = s; return *this; }
  TcpBuilder& ack(std::uint32_t a) { ack_ = a; flags_ |= 0x10; return *this; }
  TcpBuilder& flags(std::uint8_t f) { flags_ = f; return *this; }
  TcpBuilder& syn() { flags_ |= 0x02; return *this; }
  TcpBuilder& fin() { flags_ |= 0x01; return *this; }
  TcpBuilder& rst() { flags_ |= 0x04; return *this; }
  TcpBuilder& urg(std::uint16_t pointer) { flags_ |= 0x20; urg_ = pointer; return *this; }  // urgent data
  TcpBuilder& options(std::size_t n) { opt_ = n; return *this; }  // n bytes of NOPs (multiple of 4)
  TcpBuilder& payload(std::vector<std::uint8_t> p) { payload_ = std::move(p); return *this; }
  TcpBuilder& payload(std::string_view s) { payload_.assign(s.begin(), s.end()); return *this; }

  std::vector<std::uint8_t> bytes() const {
    std::vector<std::uint8_t> tcp(20 + opt_, 0);
    put16(tcp, 0, sport_);
    put16(tcp, 2, dport_);
    put32(tcp, 4, seq_);
    put32(tcp, 8, ack_);
    tcp[12] = static_cast<std::uint8_t>(((20 + opt_) / 4) << 4);
    tcp[13] = flags_;
    put16(tcp, 14, 65535);
    put16(tcp, 18, urg_);
    for (std::size_t i = 20; i < tcp.size(); ++i) tcp[i] = 1;  // NOP
    tcp.insert(tcp.end(), payload_.begin(), payload_.end());
    std::vector<std::uint8_t> out;
    if (src_.family == policy::Family::V4) {
      out.assign(20, 0);
      out[0] = 0x45;
      put16(out, 2, static_cast<std::uint16_t>(20 + tcp.size()));
      out[6] = 0x40;  // DF
      out[8] = 64;
      out[9] = 6;
      put32(out, 12, static_cast<std::uint32_t>(src_.value));
      put32(out, 16, static_cast<std::uint32_t>(dst_.value));
    } else {
      out.assign(40, 0);
      out[0] = 0x60;
      put16(out, 4, static_cast<std::uint16_t>(tcp.size()));
      out[6] = 6;
      out[7] = 64;
      const auto s = policy::to_bytes(policy::Family::V6, src_.value);
      const auto d = policy::to_bytes(policy::Family::V6, dst_.value);
      std::copy(s.begin(), s.end(), out.begin() + 8);
      std::copy(d.begin(), d.end(), out.begin() + 24);
    }
    out.insert(out.end(), tcp.begin(), tcp.end());
    return out;
  }

 private:
  static void put16(std::vector<std::uint8_t>& b, std::size_t o, std::uint16_t v) {
    b[o] = static_cast<std::uint8_t>(v >> 8);
    b[o + 1] = static_cast<std::uint8_t>(v);
  }
  static void put32(std::vector<std::uint8_t>& b, std::size_t o, std::uint32_t v) {
    put16(b, o, static_cast<std::uint16_t>(v >> 16));
    put16(b, o + 2, static_cast<std::uint16_t>(v));
  }
  policy::IpAddr src_, dst_;
  std::uint16_t sport_, dport_;
  std::uint32_t seq_ = 0, ack_ = 0;
  std::uint8_t flags_ = 0;
  std::uint16_t urg_ = 0;
  std::size_t opt_ = 0;
  std::vector<std::uint8_t> payload_;
};

inline TcpBuilder tcp(std::string_view src, std::uint16_t sport, std::string_view dst, std::uint16_t dport) {
  return TcpBuilder(src, sport, dst, dport);
}

}  // namespace nfegress::test
