// enforcer/queue_socket.cpp — layer: kernel glue (thin). See queue_socket.hpp. Setup is blocking (bind, params,
// every ACK checked); afterwards each read_one() receives one datagram, blocking or not as its caller says.
// Must not: decide anything about a packet.
#include "enforcer/queue_socket.hpp"

#include "enforcer/ct_msg.hpp"

#include <linux/netlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace nfegress::enforcer {
namespace {

constexpr std::size_t kRx = 128 * 1024;     // one datagram: a 64 KB GSO packet copy plus attributes
constexpr std::size_t kTxChunk = 64 * 1024;  // verdicts per sendmsg
constexpr std::uint32_t kCtSeq = 0x80000000u;  // nlmsg_seq bit of ctnetlink messages

std::uint32_t next(std::uint32_t& seq, std::uint32_t bit) { return (seq++ & ~kCtSeq) | bit; }

[[noreturn]] void fail(const std::string& what, int err) {
  throw std::runtime_error("nfqueue: " + what + ": " + std::strerror(err));
}

}  // namespace

QueueSocket::QueueSocket(QueueSocketOptions opts, Counters& counters)
    : opts_(std::move(opts)), c_(counters), nl_(mnl_socket_open(NETLINK_NETFILTER)), rx_(kRx) {
  if (!nl_) fail("socket(NETLINK_NETFILTER)", errno);
  if (mnl_socket_bind(nl_.get(), 0, MNL_SOCKET_AUTOPID) < 0) fail("bind netlink socket", errno);
  const int fd = mnl_socket_get_fd(nl_.get());
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &opts_.rcvbuf, sizeof opts_.rcvbuf) < 0 &&
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &opts_.rcvbuf, sizeof opts_.rcvbuf) < 0)
    fail("SO_RCVBUF " + std::to_string(opts_.rcvbuf), errno);
  // A full socket buffer must not turn into ENOBUFS on recv: the kernel drops (or, fail-open, accepts) instead
  // and counts it in /proc/net/netfilter/nfnetlink_queue.
  int one = 1;
  if (mnl_socket_setsockopt(nl_.get(), NETLINK_NO_ENOBUFS, &one, sizeof one) < 0) fail("NETLINK_NO_ENOBUFS", errno);
  bind_all();
  msgs_.reserve(8);
}

QueueSocket::~QueueSocket() = default;

int QueueSocket::fd() const { return mnl_socket_get_fd(nl_.get()); }
std::uint32_t QueueSocket::portid() const { return mnl_socket_get_portid(nl_.get()); }

void QueueSocket::set_receive_timeout(std::chrono::milliseconds t) {
  const auto ms = t.count();
  timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>(ms % 1000 * 1000)};
  setsockopt(fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

void QueueSocket::bind_all() {
  std::vector<std::uint8_t> msg;
  std::vector<std::pair<std::uint32_t, std::string>> pending;  // seq -> what it was
  for (const auto& q : opts_.queues) {
    const std::string which = "queue " + std::to_string(q.queue);
    const std::uint32_t bind_seq = next(seq_, 0), params_seq = next(seq_, 0);
    pending.emplace_back(bind_seq, "bind " + which);
    nfq::append_bind(msg, q.queue, bind_seq);
    pending.emplace_back(params_seq, "params of " + which + " (copy range, maxlen, flags)");
    nfq::append_params(msg, q, params_seq);
  }
  // ctnetlink: a lookup of a connection that cannot exist must answer ENOENT. The kernel loads
  // nf_conntrack_netlink on demand; without it (a kernel built without CONFIG_NF_CT_NETLINK) nothing could mark
  // an allowed flow, so the enforcer refuses to start rather than let flows through another way.
  const std::uint32_t probe_seq = next(ct_seq_, kCtSeq);
  pending.emplace_back(probe_seq, "ctnetlink probe (the enforcer sets an allowed flow's conntrack mark through "
                                  "ctnetlink: load nf_conntrack_netlink; kernel option CONFIG_NF_CT_NETLINK)");
  ct::append_probe(msg, probe_seq);
  if (mnl_socket_sendto(nl_.get(), msg.data(), msg.size()) < 0) fail("send queue config", errno);
  set_receive_timeout(std::chrono::seconds(2));
  while (!pending.empty()) {
    const ssize_t n = mnl_socket_recvfrom(nl_.get(), rx_.data(), rx_.size());
    if (n < 0) fail("waiting for the ACK of " + pending.front().second, errno);
    for (const auto& m : nfq::parse_datagram({rx_.data(), static_cast<std::size_t>(n)})) {
      if (m.kind == nfq::Message::Kind::Packet) {  // traffic already waiting: dropped, TCP sends it again
        ++c_.packets_received;
        tx_.clear();
        nfq::append_verdict(tx_, m.packet.queue, m.packet.id, nfq::Verdict::Drop, std::nullopt, next(seq_, 0));
        mnl_socket_sendto(nl_.get(), tx_.data(), tx_.size());
        continue;
      }
      for (auto it = pending.begin(); it != pending.end(); ++it) {
        if (it->first != m.seq) continue;
        if (m.kind == nfq::Message::Kind::Error && !(m.seq == probe_seq && m.error == ENOENT))
          fail(it->second, m.error);
        pending.erase(it);
        break;
      }
    }
  }
  set_receive_timeout(std::chrono::milliseconds(0));  // none: the owner sets its own
}

QueueSocket::Read QueueSocket::read_one(const PacketHandler& on_packet, bool wait) {
  sockaddr_nl from{};
  socklen_t from_len = sizeof from;
  ssize_t n;
  do {
    n = recvfrom(fd(), rx_.data(), rx_.size(), wait ? 0 : MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &from_len);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) ++c_.receive_errors;
    return Read::Idle;
  }
  // Only the kernel (port id 0) queues packets and answers verdicts. Another process would need CAP_NET_ADMIN to
  // send here at all; what a userspace socket sends is a wake-up and is never parsed.
  if (from.nl_pid != 0) return Read::Wake;
  nfq::parse_datagram({rx_.data(), static_cast<std::size_t>(n)}, msgs_);
  for (const auto& m : msgs_) {
    switch (m.kind) {
      case nfq::Message::Kind::Packet:
        ++c_.packets_received;
        on_packet(m.packet);
        break;
      case nfq::Message::Kind::Error:  // an answer to a verdict (ENOENT: unknown id) or to a ct mark update
        ++((m.seq & kCtSeq) ? c_.ct_mark_errors : c_.verdict_errors);
        break;
      case nfq::Message::Kind::Malformed:
        ++c_.packets_malformed;
        break;
      default:
        break;
    }
  }
  return Read::Kernel;
}

void QueueSocket::send_verdicts(std::span<const VerdictOut> verdicts) {
  tx_.clear();
  auto flush = [this] {
    if (tx_.empty()) return;
    if (mnl_socket_sendto(nl_.get(), tx_.data(), tx_.size()) < 0) ++c_.verdict_errors;
    tx_.clear();
  };
  for (const VerdictOut& v : verdicts) {
    if (!v.ct_only) nfq::append_verdict(tx_, v.queue, v.id, v.verdict, v.mark, next(seq_, 0), v.payload);
    if (v.ct) {  // after the verdict (engine.hpp): the flow's held packets are out before its mark is set
      const FlowKey& k = v.ct->key;
      ct::append_set_mark(tx_, {k.src, k.dst, k.sport, k.dport}, v.ct->mask, v.ct->value, next(ct_seq_, kCtSeq));
      ++c_.ct_marks_sent;
    }
    if (!v.ct_only) ++c_.verdicts_sent;
    if (tx_.size() >= kTxChunk) flush();
  }
  flush();
}

void QueueSocket::stop() {
  if (stopped_) return;
  stopped_ = true;
  std::vector<std::uint8_t> msg;
  for (const auto& q : opts_.queues) nfq::append_unbind(msg, q.queue, next(seq_, 0));
  mnl_socket_sendto(nl_.get(), msg.data(), msg.size());
}

WakeSocket::WakeSocket() : nl_(mnl_socket_open(NETLINK_NETFILTER)) {
  if (!nl_) fail("socket(NETLINK_NETFILTER) for wake-ups", errno);
  if (mnl_socket_bind(nl_.get(), 0, MNL_SOCKET_AUTOPID) < 0) fail("bind the wake-up socket", errno);
}

bool WakeSocket::wake(std::uint32_t portid) const {
  nlmsghdr h{};
  h.nlmsg_len = sizeof h;
  h.nlmsg_type = NLMSG_NOOP;
  sockaddr_nl to{};
  to.nl_family = AF_NETLINK;
  to.nl_pid = portid;
  return sendto(mnl_socket_get_fd(nl_.get()), &h, sizeof h, MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&to),
                sizeof to) == static_cast<ssize_t>(sizeof h);
}

}  // namespace nfegress::enforcer
