// tests/bench/nfq_accept.cpp — benchmark peer (not part of nfegress, never linked into it): the NFQUEUE floor for
// tests/bench/peers.sh. A plain libnetfilter_queue loop that binds queue QUEUE_NUM, copies each packet (as an
// inspecting enforcer must) and answers NF_ACCEPT at once. Must not inspect or decide anything. Runs until killed.
//
// usage: nfq_accept [QUEUE_NUM]
// glibc's netinet/in.h before the kernel headers (linux/in.h would redefine its structs).
#include <arpa/inet.h>
#include <sys/socket.h>

#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>

namespace {

struct HandleDeleter {
  void operator()(nfq_handle* h) const { nfq_close(h); }
  void operator()(nfq_q_handle* q) const { nfq_destroy_queue(q); }
};

int accept_packet(nfq_q_handle* q, nfgenmsg*, nfq_data* nfa, void*) {
  const nfqnl_msg_packet_hdr* ph = nfq_get_msg_packet_hdr(nfa);
  if (ph == nullptr) return 0;
  return nfq_set_verdict(q, ntohl(ph->packet_id), NF_ACCEPT, 0, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  const auto queue = static_cast<uint16_t>(argc > 1 ? std::atoi(argv[1]) : 0);
  std::unique_ptr<nfq_handle, HandleDeleter> h(nfq_open());
  if (!h) {
    std::perror("nfq_open");
    return 1;
  }
  std::unique_ptr<nfq_q_handle, HandleDeleter> q(nfq_create_queue(h.get(), queue, &accept_packet, nullptr));
  if (!q) {
    std::perror("nfq_create_queue");
    return 1;
  }
  if (nfq_set_mode(q.get(), NFQNL_COPY_PACKET, 0xffff) < 0) {
    std::perror("nfq_set_mode");
    return 1;
  }
  const int fd = nfq_fd(h.get());
  std::printf("ready: queue %u\n", queue);
  std::fflush(stdout);
  alignas(8) static char buf[1 << 17];
  for (;;) {
    const auto n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == ENOBUFS || errno == EINTR) continue;
      std::perror("recv");
      return 1;
    }
    nfq_handle_packet(h.get(), buf, static_cast<int>(n));
  }
}
