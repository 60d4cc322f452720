// enforcer/queue_socket.hpp — layer: kernel glue (thin). One NETLINK_NETFILTER socket (libmnl) bound to the
// NFQUEUE queue(s), read on a Boost.Asio event loop; sends verdicts, several per sendmsg, each allowed flow's
// ctnetlink conntrack-mark update right after its last verdict on the same socket (nfnetlink runs the messages
// of one sendmsg in order). Message bytes come from the pure codecs (nfq_msg.hpp, ct_msg.hpp). Must not: decide
// anything about a packet (the engine does), block after setup.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "enforcer/counters.hpp"
#include "enforcer/engine.hpp"
#include "enforcer/nfq_msg.hpp"
#include "netfilter/handles.hpp"

namespace nfegress::enforcer {

struct QueueSocketOptions {
  std::vector<nfq::QueueConfig> queues;  // each bound with its copy range, maxlen and flags
  int rcvbuf = 8 << 20;                  // SO_RCVBUFFORCE (falls back to SO_RCVBUF without CAP_NET_ADMIN)
};

class QueueSocket {
 public:
  using PacketHandler = std::function<void(const nfq::PacketMsg&)>;
  using BatchEnd = std::function<void()>;  // after each burst of datagrams: flush verdicts

  // Opens, sizes and binds (blocking, with ACKs), and checks that ctnetlink answers (the enforcer cannot allow a
  // flow without it: it refuses to start, and the queue without a reader holds or drops, never accepts).
  // Throws std::runtime_error naming the queue (or ctnetlink) and the errno.
  QueueSocket(boost::asio::io_context& io, QueueSocketOptions opts, Counters& counters);
  ~QueueSocket();
  QueueSocket(const QueueSocket&) = delete;
  QueueSocket& operator=(const QueueSocket&) = delete;

  void start(PacketHandler on_packet, BatchEnd on_batch_end);
  // Sends every verdict (split into sendmsg calls of at most 64 KiB). Failures are counted, never thrown.
  void send_verdicts(std::span<const VerdictOut> verdicts);
  // Unbinds the queues (the kernel drops what is still queued: fail-closed) and stops reading.
  void stop();

 private:
  void bind_all();
  void wait_read();
  void drain();

  QueueSocketOptions opts_;
  Counters& c_;
  netfilter::SocketPtr nl_;
  boost::asio::posix::stream_descriptor fd_;
  std::vector<std::uint8_t> rx_;
  std::vector<std::uint8_t> tx_;
  std::uint32_t seq_ = 1;     // verdicts and queue config: the high bit is clear
  std::uint32_t ct_seq_ = 1;  // ctnetlink updates: sent with the high bit set (kCtSeq), so an error answer says
                              // which of the two it was
  PacketHandler on_packet_;
  BatchEnd on_batch_end_;
  bool stopped_ = false;
};

}  // namespace nfegress::enforcer
