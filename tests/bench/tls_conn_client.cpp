// tests/bench/tls_conn_client.cpp — benchmark tool (not a test, not part of nfegress): new TLS connections per
// second and connect-to-first-byte latency, for tests/bench/peers.sh. THREADS blocking clients for SECONDS; each
// connection: TCP connect, TLS 1.3 handshake with SNI (certificate not verified: the client's own CPU is the
// bottleneck on a small machine), `GET /`, first response byte (the latency sample), read to EOF, close.
// Prints one line: "connections errors p50_ms p99_ms conn_per_s". Must not decide anything about policy.
//
// usage: tls_conn_client ADDR PORT SNI THREADS SECONDS
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Target {
  sockaddr_storage addr{};
  socklen_t len = 0;
  std::string sni;
};

struct SslDeleter {
  void operator()(SSL* s) const { SSL_free(s); }
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using SslPtr = std::unique_ptr<SSL, SslDeleter>;
using CtxPtr = std::unique_ptr<SSL_CTX, SslDeleter>;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

bool parse_target(const char* addr, const char* port, const char* sni, Target& t) {
  const auto p = static_cast<uint16_t>(std::atoi(port));
  auto* a6 = reinterpret_cast<sockaddr_in6*>(&t.addr);
  auto* a4 = reinterpret_cast<sockaddr_in*>(&t.addr);
  if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(p);
    t.len = sizeof(sockaddr_in6);
  } else if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons(p);
    t.len = sizeof(sockaddr_in);
  } else {
    return false;
  }
  t.sni = sni;
  return true;
}

// One connection; returns the connect-to-first-byte time in seconds, or a negative value on any failure.
double one_connection(SSL_CTX* ctx, const Target& t, const std::string& request) {
  const auto t0 = Clock::now();
  Fd fd(::socket(t.addr.ss_family, SOCK_STREAM, 0));
  if (fd.get() < 0) return -1;
  const int one = 1;
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&t.addr), t.len) != 0) return -1;
  SslPtr ssl(SSL_new(ctx));
  if (!ssl) return -1;
  SSL_set_tlsext_host_name(ssl.get(), t.sni.c_str());
  SSL_set_fd(ssl.get(), fd.get());
  if (SSL_connect(ssl.get()) != 1) return -1;
  if (SSL_write(ssl.get(), request.data(), static_cast<int>(request.size())) <= 0) return -1;
  char buf[4096];
  if (SSL_read(ssl.get(), buf, 1) != 1) return -1;
  const double first_byte = std::chrono::duration<double>(Clock::now() - t0).count();
  while (SSL_read(ssl.get(), buf, sizeof buf) > 0) {
  }
  return first_byte;
}

double percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const auto i = std::min(sorted.size() - 1, static_cast<size_t>(q * static_cast<double>(sorted.size())));
  return sorted[i];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s ADDR PORT SNI THREADS SECONDS\n", argv[0]);
    return 2;
  }
  Target target;
  if (!parse_target(argv[1], argv[2], argv[3], target)) {
    std::fprintf(stderr, "tls_conn_client: bad address %s\n", argv[1]);
    return 2;
  }
  const int threads = std::max(1, std::atoi(argv[4]));
  const double seconds = std::atof(argv[5]);
  CtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return 1;
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);  // every connection a full handshake
  const std::string request = "GET / HTTP/1.0\r\nHost: " + target.sni + "\r\n\r\n";

  std::atomic<long> errors{0};
  std::mutex mu;
  std::vector<double> all;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back([&] {
      std::vector<double> mine;
      while (Clock::now() < deadline) {
        const double s = one_connection(ctx.get(), target, request);
        if (s < 0) {
          errors.fetch_add(1);
          ERR_clear_error();
        } else {
          mine.push_back(s);
        }
      }
      const std::lock_guard<std::mutex> lock(mu);
      all.insert(all.end(), mine.begin(), mine.end());
    });
  }
  for (auto& th : pool) th.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(all.begin(), all.end());
  std::printf("%zu %ld %.3f %.3f %.1f\n", all.size(), errors.load(), percentile(all, 0.5) * 1e3,
              percentile(all, 0.99) * 1e3, static_cast<double>(all.size()) / elapsed);
  return all.empty() ? 1 : 0;
}
