// enforcer/queue_worker.cpp — layer: kernel glue (thin). See queue_worker.hpp.
#include "enforcer/queue_worker.hpp"

#include <linux/netfilter/nfnetlink_queue.h>
#include <unistd.h>

namespace nfegress::enforcer {

namespace {
constexpr auto kTick = std::chrono::milliseconds(100);
constexpr std::size_t kLinesMax = 64 * 1024;  // decision log lines written before the tick once this many pile up

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
      socket_(one_queue(opts), counters_),
      http_deny_403_(opts.http_deny_403) {
  socket_.set_receive_timeout(kTick);
  verdicts_.reserve(256);
  lines_.reserve(kLinesMax + 4096);
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
  thread_ = std::thread([this] { run(); });
}

void QueueWorker::post(std::function<void()> f) {
  bool was_empty = false;
  {
    std::lock_guard lock(posts_mu_);
    was_empty = posts_.empty();
    posts_.push_back(std::move(f));
    posted_.store(true, std::memory_order_release);
  }
  // One wake-up per batch of posts: it waits in the socket's buffer if the worker is busy, so none is lost. If it
  // cannot be sent, the posts run before the next packet or on the receive timeout (100 ms).
  if (was_empty) waker_.wake(socket_.portid());
}

void QueueWorker::run_posts() {
  std::vector<std::function<void()>> todo;
  {
    std::lock_guard lock(posts_mu_);
    todo.swap(posts_);
    posted_.store(false, std::memory_order_relaxed);
  }
  for (auto& f : todo) f();
}

// The loop: one datagram, its verdicts out at once (the packets wait for them), the tick when due. A post (a
// learned DNS answer, a policy swap) runs before the next packet, so a client's first flight after the DNS answer
// that named its address meets what was learned from it.
void QueueWorker::run() {
  const QueueSocket::PacketHandler on_packet = [this](const nfq::PacketMsg& m) {
    if (posted_.load(std::memory_order_acquire)) run_posts();
    if (stopped_) return;  // unbound: the kernel dropped it (fail-closed)
    const QueuedPacket q{m.queue, m.id, m.mark.value_or(0), m.truncated, m.payload,
                         (m.skb_info & NFQA_SKB_GSO) != 0};
    engine_.on_packet(q, Clock::now(), verdicts_);
  };
  next_tick_ = Clock::now() + kTick;
  while (!stopped_) {
    if (posted_.load(std::memory_order_acquire)) run_posts();
    if (stopped_) break;
    socket_.read_one(on_packet, true);
    send_verdicts();
    if (lines_.size() >= kLinesMax) write_lines();
    const auto now = Clock::now();
    if (now >= next_tick_) tick(now);
  }
}

void QueueWorker::learn(const std::vector<dns::Answer>& answers, Clock::time_point learned_at) {
  if (stopped_ || binding_mode_ == BindingMode::Off) return;
  for (const auto& a : answers)
    if (!a.addrs.empty()) bindings_.learn(a, learned_at);
}

void QueueWorker::on_resolved(const std::string& name) {
  if (stopped_) return;
  engine_.on_resolved(name, Clock::now(), verdicts_);
  send_verdicts();
}

void QueueWorker::send_verdicts() {
  if (verdicts_.empty()) return;
  socket_.send_verdicts(verdicts_);
  verdicts_.clear();
}

// Issue 19: the decision log's lines are written on the tick, not after each burst (a write() per connection was
// 11% of the enforcer's CPU per inspected connection): a line reaches the log at most about 100 ms after its
// verdict, and on the stop.
void QueueWorker::write_lines() {
  if (lines_.empty()) return;
  if (out_.write) out_.write(lines_);
  lines_.clear();
}

void QueueWorker::tick(Clock::time_point now) {
  engine_.expire(now, verdicts_);
  send_verdicts();
  write_lines();
  if (binding_mode_ != BindingMode::Off) bindings_.expire(now);  // its counters are the runtime's master copy's
  next_tick_ = now + kTick;
}

void QueueWorker::stop() {
  if (stopped_) return;
  stopped_ = true;
  send_verdicts();
  write_lines();
  socket_.stop();
}

void QueueWorker::stop_and_join() {
  if (!thread_.joinable()) {
    stop();  // never started: unbind on this thread
    return;
  }
  post([this] { stop(); });
  thread_.join();
}

}  // namespace nfegress::enforcer
