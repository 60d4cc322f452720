// enforcer/reply_socket.cpp — layer: kernel glue (thin). See reply_socket.hpp. IPPROTO_RAW implies IP_HDRINCL
// (AF_INET, raw(7)) and IPV6_HDRINCL (AF_INET6, since Linux 4.5): the kernel sends the bytes as given (IPv4: it
// keeps our header checksum and fills the id when it is 0). Destination port in sockaddr: 0 (raw sockets).
#include "enforcer/reply_socket.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace nfegress::enforcer {
namespace {

int open_raw(int family, std::string& err) {
  const int fd = ::socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
  if (fd < 0)
    err = std::string("socket(") + (family == AF_INET ? "AF_INET" : "AF_INET6") +
          ", SOCK_RAW, IPPROTO_RAW): " + std::strerror(errno);
  return fd;
}

}  // namespace

ReplySocket::ReplySocket() {  // in the body: the error strings must exist before open_raw writes them
  fd4_ = open_raw(AF_INET, err4_);
  fd6_ = open_raw(AF_INET6, err6_);
}

ReplySocket::~ReplySocket() {
  if (fd4_ >= 0) ::close(fd4_);
  if (fd6_ >= 0) ::close(fd6_);
}

bool ReplySocket::send(const ForgedReply& r) { return send_packet(build_forged_reply(r)); }

bool ReplySocket::send_packet(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return false;
  const bool v4 = (bytes[0] >> 4) == 4;
  if (!v4 && (bytes[0] >> 4) != 6) return false;
  if (bytes.size() < (v4 ? 20u : 40u)) return false;
  const int fd = v4 ? fd4_ : fd6_;
  if (fd < 0) return false;
  const std::uint8_t* dst = bytes.data() + (v4 ? 16 : 24);  // the destination address in the IP header
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (v4) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    std::memcpy(&sin->sin_addr, dst, 4);
    len = sizeof(sockaddr_in);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    std::memcpy(&sin6->sin6_addr, dst, 16);
    len = sizeof(sockaddr_in6);
  }
  const ssize_t n = ::sendto(fd, bytes.data(), bytes.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&ss), len);
  return n == static_cast<ssize_t>(bytes.size());
}

std::string ReplySocket::status() const {
  if (fd4_ >= 0 && fd6_ >= 0) return "on";
  if (fd4_ < 0 && fd6_ < 0) return "off (" + err4_ + "; " + err6_ + ")";
  return fd4_ >= 0 ? "on for IPv4 only (" + err6_ + ")" : "on for IPv6 only (" + err4_ + ")";
}

}  // namespace nfegress::enforcer
