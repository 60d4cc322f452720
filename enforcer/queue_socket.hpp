// enforcer/queue_socket.hpp — layer: kernel glue (thin). One NETLINK_NETFILTER socket (libmnl) bound to the
// NFQUEUE queue(s): reads one datagram at a time (blocking, up to its receive timeout, for a queue worker's loop;
// or without waiting, for the DNS queue on an Asio loop), sends verdicts, several per sendmsg, each with its
// ctnetlink conntrack-mark update right after its last verdict on the same socket (nfnetlink runs the messages of
// one sendmsg in order). Only the kernel's datagrams are parsed: one from a userspace socket (the worker's own
// WakeSocket, queue_worker.hpp) only wakes the reader. Message bytes come from the pure codecs (nfq_msg.hpp,
// ct_msg.hpp). Must not: decide anything about a packet (the engine does).
#pragma once
#include <chrono>
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
  // What one read_one() got: a kernel datagram (its packets handed to the handler, its answers counted), a
  // datagram from a userspace socket (a wake-up, never parsed), or nothing (the timeout, or nothing waiting).
  enum class Read { Kernel, Wake, Idle };

  // Opens, sizes and binds (blocking, with ACKs), and checks that ctnetlink answers (the enforcer cannot allow a
  // flow without it: it refuses to start, and the queue without a reader holds or drops, never accepts).
  // Throws std::runtime_error naming the queue (or ctnetlink) and the errno.
  QueueSocket(QueueSocketOptions opts, Counters& counters);
  ~QueueSocket();
  QueueSocket(const QueueSocket&) = delete;
  QueueSocket& operator=(const QueueSocket&) = delete;

  // One datagram: `wait` blocks up to the receive timeout (set_receive_timeout; none: forever), else returns Idle
  // at once when nothing is waiting.
  Read read_one(const PacketHandler& on_packet, bool wait);
  void set_receive_timeout(std::chrono::milliseconds t);
  int fd() const;
  std::uint32_t portid() const;  // where a WakeSocket sends
  // Sends every verdict (split into sendmsg calls of at most 64 KiB). Failures are counted, never thrown.
  void send_verdicts(std::span<const VerdictOut> verdicts);
  // Unbinds the queues (the kernel drops what is still queued: fail-closed) and stops reading.
  void stop();

 private:
  void bind_all();

  QueueSocketOptions opts_;
  Counters& c_;
  netfilter::SocketPtr nl_;
  std::vector<std::uint8_t> rx_;
  std::vector<nfq::Message> msgs_;  // one datagram's, reused
  std::vector<std::uint8_t> tx_;
  std::uint32_t seq_ = 1;     // verdicts and queue config: the high bit is clear
  std::uint32_t ct_seq_ = 1;  // ctnetlink updates: sent with the high bit set (kCtSeq), so an error answer says
                              // which of the two it was
  bool stopped_ = false;
};

// Wakes a worker blocked in QueueSocket::read_one: an empty NLMSG_NOOP unicast to the worker socket's port id. It
// stays in that socket's buffer until read, so a wake-up sent while the worker is busy is never lost. Sending to
// another socket's port id needs CAP_NET_ADMIN, as binding the queue did.
class WakeSocket {
 public:
  WakeSocket();  // throws std::runtime_error with the errno
  bool wake(std::uint32_t portid) const;  // false: not sent (the worker still wakes on its receive timeout)

 private:
  netfilter::SocketPtr nl_;
};

}  // namespace nfegress::enforcer
