// enforcer/queue_worker.cpp — layer: kernel glue (thin). See queue_worker.hpp.
#include "enforcer/queue_worker.hpp"

#include <linux/netfilter/nfnetlink_queue.h>
#include <unistd.h>

namespace nfegress::enforcer {

namespace {
QueueSocketOptions one_queue(const WorkerOptions& o) {
  QueueSocketOptions q;
  q.queues.push_back(o.queue);
  q.rcvbuf = o.rcvbuf;
  return q;
}
}  // namespace

QueueWorker::QueueWorker(std::shared_ptr<const CompiledPolicy> policy, WorkerOptions opts)
    : queue_(opts.queue.queue),
      binding_mode_(opts.binding_mode),
      bindings_(opts.binding_limits),
      engine_(std::move(policy), opts.client_ns, opts.limits, counters_),
      socket_(io_, one_queue(opts), counters_),
      http_deny_403_(opts.http_deny_403),
      timer_(io_) {
  verdicts_.reserve(256);
  engine_.set_decision_callback([this](const DecisionRecord& r) {
    if (out_.record) out_.record(r, lines_);
  });
  // The engine calls it before it appends the flow's verdicts, and they are sent after the burst: the 403 and
  // the FIN reach the client's socket before the reset the held packets' verdict makes.
  if (http_deny_403_ && reply_.any())
    engine_.set_http_deny_responder([this](const ForgedReply& r) { return reply_.send(r); });
  // Issue 19: parking needs the raw sockets (CAP_NET_RAW), and the parked copies must be queued again on their
  // way out: an enforcer running as the --exempt-uid would send them past the output chain, so it holds instead.
  // A copy has its flow's addresses, so the kernel's queue hash sends it to this same worker again.
  const auto& exempt = engine_.policy()->plan.kernel.exempt_uid;
  // A family without its raw socket holds (its ACKs and copies could not be sent).
  if (!opts.park)
    park_off_ = "off (" + opts.park_off + ")";
  else if (!reply_.any())
    park_off_ = "off (" + reply_.status() + ")";
  else if (exempt && *exempt == ::geteuid())
    park_off_ = "off (the enforcer runs as --exempt-uid " + std::to_string(*exempt) + ")";
  else {
    engine_.set_packet_sender([this](std::span<const std::uint8_t> l3) { return reply_.send_packet(l3); },
                              reply_.has(false), reply_.has(true));
    if (!reply_.has(false) || !reply_.has(true))
      park_off_ = std::string("on for ") + (reply_.has(false) ? "IPv4" : "IPv6") + " only, the other family holds (" +
                  reply_.status() + ")";
  }
  if (binding_mode_ == BindingMode::Off) return;
  if (!opts.bindings_state.empty()) {
    std::string ignored;  // the runtime loaded the same text first and reported its errors
    bindings_.load(opts.bindings_state, Clock::now(), std::chrono::system_clock::now(), ignored);
  }
  engine_.set_name_binding(binding_mode_, &bindings_, std::move(opts.resolve));
}

QueueWorker::~QueueWorker() { stop_and_join(); }

void QueueWorker::start() {
  guard_.emplace(io_.get_executor());
  socket_.start(
      [this](const nfq::PacketMsg& m) {
        const QueuedPacket q{m.queue, m.id, m.mark.value_or(0), m.truncated, m.payload,
                             (m.skb_info & NFQA_SKB_GSO) != 0};
        engine_.on_packet(q, Clock::now(), verdicts_);
      },
      [this] { flush(); });
  tick();
  thread_ = std::thread([this] { io_.run(); });
}

void QueueWorker::learn(const std::vector<dns::Answer>& answers, Clock::time_point learned_at) {
  if (stopped_ || binding_mode_ == BindingMode::Off) return;
  for (const auto& a : answers)
    if (!a.addrs.empty()) bindings_.learn(a, learned_at);
}

void QueueWorker::on_resolved(const std::string& name) {
  if (stopped_) return;
  engine_.on_resolved(name, Clock::now(), verdicts_);
  flush();
}

// Verdicts first (the packets wait for them), then the burst's decision lines in one locked write.
void QueueWorker::flush() {
  if (!verdicts_.empty()) {
    socket_.send_verdicts(verdicts_);
    verdicts_.clear();
  }
  if (!lines_.empty()) {
    if (out_.write) out_.write(lines_);
    lines_.clear();
  }
}

void QueueWorker::tick() {
  if (stopped_) return;
  const auto now = Clock::now();
  engine_.expire(now, verdicts_);
  flush();
  if (binding_mode_ != BindingMode::Off) bindings_.expire(now);  // its counters are the runtime's master copy's
  timer_.expires_after(std::chrono::milliseconds(100));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  });
}

void QueueWorker::stop() {
  if (stopped_) return;
  stopped_ = true;
  timer_.cancel();
  flush();
  socket_.stop();
}

void QueueWorker::stop_and_join() {
  if (!thread_.joinable()) {
    stop();  // never started: unbind on this thread
    return;
  }
  boost::asio::post(io_, [this] { stop(); });
  guard_.reset();  // run() returns once the stop and whatever was posted before it have run
  thread_.join();
}

}  // namespace nfegress::enforcer
