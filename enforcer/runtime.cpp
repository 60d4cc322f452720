// enforcer/runtime.cpp — layer: kernel glue (thin). See runtime.hpp.
#include "enforcer/runtime.hpp"

#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <linux/netfilter/nfnetlink_queue.h>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include "enforcer/dns_queue.hpp"

namespace nfegress::enforcer {

namespace {
std::size_t share(std::size_t total, std::size_t n) { return total == 0 ? 0 : (total + n - 1) / n; }
}  // namespace

Runtime::Runtime(boost::asio::io_context& io, std::shared_ptr<const CompiledPolicy> policy, RuntimeOptions opts)
    : io_(io),
      policy_(policy),
      binding_mode_(opts.binding_mode),
      dns_queue_(opts.binding_mode == BindingMode::Off ? 0 : opts.dns_queue),
      state_file_(opts.state_dir.empty() ? "" : opts.state_dir + "/bindings"),
      strip_ech_(opts.strip_ech),
      bindings_(opts.binding_limits),
      timer_(io) {
  if (opts.queue.queues.empty()) throw std::runtime_error("nfqueue: no flow queue to bind");
  const std::string state = binding_mode_ == BindingMode::Off ? "" : load_state();
  if (binding_mode_ == BindingMode::Resolve)
    resolver_ = std::make_unique<Resolver>(io, opts.dns_servers, opts.resolve_timeout,
                                           [this](const std::string& name, std::vector<dns::Answer> answers) {
                                             on_resolved(name, std::move(answers));
                                           });
  // The kernel hashes address pairs, not flows, to queues: one busy destination puts every flow of a pod on one
  // worker, so the flow bounds (whose hit denies) hold per worker, as they held for the one runtime before. The
  // parked bytes (whose hit only holds segments instead of parking them) are a total, shared out.
  const std::size_t n = opts.queue.queues.size();
  WorkerOptions w;
  w.client_ns = opts.client_ns;
  w.limits = opts.limits;
  w.limits.max_parked_bytes = share(opts.limits.max_parked_bytes, n);
  w.rcvbuf = opts.queue.rcvbuf;
  w.http_deny_403 = opts.http_deny_403;
  w.park = opts.park;
  w.park_off = opts.park_off;
  w.binding_mode = binding_mode_;
  w.binding_limits = opts.binding_limits;
  w.bindings_state = state;
  if (resolver_)  // a worker's miss goes to the resolver on io's thread; its answer comes back to every worker
    w.resolve = [this](const std::string& name) { boost::asio::post(io_, [this, name] { resolve(name); }); };
  for (const auto& q : opts.queue.queues) {
    w.queue = q;
    workers_.push_back(std::make_unique<QueueWorker>(policy, w));
  }
  // The DNS answer queue is bound fail-open on a socket of its own: a full queue lets answers through unlearned
  // (the kernel rule has `bypass` for when nothing listens at all). Only the flow queues are fail-closed.
  if (dns_queue_ != 0) {
    QueueSocketOptions d;
    nfq::QueueConfig q;
    q.queue = dns_queue_;
    q.fail_open = true;
    q.copy_range = 4096;
    d.queues.push_back(q);
    d.rcvbuf = opts.queue.rcvbuf;
    dns_socket_ = std::make_unique<QueueSocket>(d, counters_);
    dns_fd_.emplace(io, dns_socket_->fd());
  }
  if (binding_mode_ == BindingMode::Off) {
    binding_status_ = "off: an allowed SNI or Host reaches any address of its network (upstream Linkerd's behaviour)";
    return;
  }
  std::ostringstream s;
  s << to_string(binding_mode_) << ", DNS answer queue " << (dns_queue_ ? std::to_string(dns_queue_) + " (fail-open)" : std::string("none (no resolver to learn from)")) << ", resolves misses through";
  if (opts.dns_servers.empty()) s << " none (nothing to resolve with)";
  for (const auto& a : opts.dns_servers) s << " " << policy::format_ip(a);
  s << ", min TTL " << opts.binding_limits.min_ttl.count() << " s";
  if (strip_ech_) s << ", strips ech from HTTPS/SVCB answers";
  if (!state_file_.empty()) s << ", state " << state_file_ << " (" << bindings_.names() << " names loaded)";
  binding_status_ = s.str();
}

Runtime::~Runtime() { stop(); }

void Runtime::set_decision_output(DecisionOutput out) {
  for (auto& w : workers_) w->set_decision_output(out);
}

void Runtime::start() {
  for (auto& w : workers_) w->start();
  if (dns_socket_) dns_wait();
  tick();
}

// The DNS answer queue on io's thread: up to 64 datagrams at a time, then the burst's answers are learned and
// their verdicts sent (dns_flush). Asio's epoll watches the fd edge-triggered, so a burst cut at 64 goes on from a
// post rather than a new wait: the answers left in the socket would raise no new edge.
void Runtime::dns_wait() {
  dns_fd_->async_wait(boost::asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
    if (ec == boost::asio::error::operation_aborted || stopped_) return;
    if (ec) ++counters_.receive_errors;
    dns_drain();
  });
}

void Runtime::dns_drain() {
  if (stopped_) return;
  const QueueSocket::PacketHandler on_packet = [this](const nfq::PacketMsg& m) {
    const QueuedPacket q{m.queue, m.id, m.mark.value_or(0), m.truncated, m.payload, false};
    on_dns_packet(q, bindings_, counters_, Clock::now(), dns_verdicts_, strip_ech_, &learned_);
  };
  bool more = true;
  for (int i = 0; i < 64 && more; ++i) more = dns_socket_->read_one(on_packet, false) != QueueSocket::Read::Idle;
  dns_flush();
  if (more)
    boost::asio::post(io_, [this] { dns_drain(); });
  else
    dns_wait();
}

void Runtime::swap_policy(std::shared_ptr<const CompiledPolicy> p) {
  policy_ = p;
  for (auto& w : workers_) w->post([w = w.get(), p] { w->swap_policy(p); });
}

void Runtime::swap_clients(std::shared_ptr<const ClientPolicies> c) {
  for (auto& w : workers_) w->post([w = w.get(), c] { w->swap_clients(c); });
}

// A burst of DNS answers: what was learned goes to every worker first; the answers' verdicts (the client reads
// them only then) are sent by whichever worker applies them last, posted back to io's thread.
void Runtime::dns_flush() {
  if (dns_verdicts_.empty()) return;
  if (learned_.empty()) {
    dns_socket_->send_verdicts(dns_verdicts_);
    dns_verdicts_.clear();
    return;
  }
  struct Pending {
    std::vector<dns::Answer> answers;
    std::vector<VerdictOut> verdicts;
    std::atomic<std::size_t> left;
    Clock::time_point at;
  };
  auto p = std::make_shared<Pending>();
  p->answers = std::move(learned_);
  p->verdicts = std::move(dns_verdicts_);
  p->left = workers_.size();
  p->at = Clock::now();
  learned_.clear();
  dns_verdicts_.clear();
  for (auto& w : workers_)
    w->post([this, w = w.get(), p] {
      w->learn(p->answers, p->at);
      if (p->left.fetch_sub(1, std::memory_order_acq_rel) == 1)
        boost::asio::post(io_, [this, p] {
          if (!stopped_) dns_socket_->send_verdicts(p->verdicts);
        });
    });
}

void Runtime::resolve(const std::string& name) {
  if (stopped_ || !resolver_) return;
  const std::size_t before = resolver_->in_flight();
  resolver_->resolve(name);
  if (resolver_->in_flight() > before) ++counters_.resolves_sent;  // not when the name is being resolved already
}

void Runtime::on_resolved(const std::string& name, std::vector<dns::Answer> answers) {
  if (stopped_) return;
  const auto now = Clock::now();
  bool any = false;
  for (const auto& a : answers)
    if (!a.addrs.empty()) {
      bindings_.learn(a, now);
      any = true;
    }
  ++(any ? counters_.resolves_answered : counters_.resolves_failed);
  sync_binding_counters(bindings_, counters_);
  // Each worker learns first, then wakes the flows of its own that waited for the name (FIFO on its context).
  auto shared = std::make_shared<const std::vector<dns::Answer>>(std::move(answers));
  for (auto& w : workers_)
    w->post([w = w.get(), shared, name, now] {
      w->learn(*shared, now);
      w->on_resolved(name);
    });
}

void Runtime::tick() {
  if (stopped_) return;
  if (binding_mode_ != BindingMode::Off) {
    bindings_.expire(Clock::now());
    sync_binding_counters(bindings_, counters_);
    if (++ticks_ % 50 == 0) save_state();  // every 5 s, when something was learned
  }
  timer_.expires_after(std::chrono::milliseconds(100));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  });
}

Counters Runtime::counters() const {
  Counters sum = counters_;
  for (const auto& w : workers_) sum += w->counters();
  // Every worker's engine counts each swap it is handed; the runtime was handed it once.
  sum.matcher_swaps = workers_.front()->counters().matcher_swaps.get();
  return sum;
}

std::string Runtime::queues_status() const {
  const unsigned first = workers_.front()->queue(), last = workers_.back()->queue();
  std::string s = workers_.size() == 1 ? "queue " + std::to_string(first)
                                       : "queues " + std::to_string(first) + "-" + std::to_string(last);
  return s + ", " + std::to_string(workers_.size()) + (workers_.size() == 1 ? " thread" : " threads");
}

std::string Runtime::queue_packets() const {
  std::string s;
  for (const auto& w : workers_)
    s += (s.empty() ? "" : " ") + std::to_string(w->queue()) + "=" + std::to_string(w->counters().packets_received.get());
  return s;
}

// The state file: read once at start (its text is loaded into the master copy here and into every worker's); a
// bad file is reported and ignored (the enforcer resolves on a miss).
std::string Runtime::load_state() {
  if (state_file_.empty()) return "";
  std::ifstream in(state_file_);
  if (!in) return "";  // the first start: nothing saved yet
  std::ostringstream text;
  text << in.rdbuf();
  std::string error;
  if (!bindings_.load(text.str(), Clock::now(), std::chrono::system_clock::now(), error)) {
    binding_load_error_ = state_file_ + ": " + error + " (ignored)";
    return "";
  }
  return text.str();
}

// Written to a temporary file and renamed over the old one: a crash never leaves half a file. Only the master
// copy is saved (io's thread: one writer).
void Runtime::save_state() {
  const std::uint64_t learned = counters_.dns_answers_learned + counters_.resolves_answered;
  if (state_file_.empty() || learned == saved_learned_) return;
  const std::string tmp = state_file_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << bindings_.save(Clock::now(), std::chrono::system_clock::now());
    if (!out) return;
  }
  if (std::rename(tmp.c_str(), state_file_.c_str()) == 0) saved_learned_ = learned;
}

void Runtime::stop() {
  if (stopped_) return;
  stopped_ = true;
  timer_.cancel();
  for (auto& w : workers_) w->stop_and_join();
  if (dns_socket_) {
    boost::system::error_code ignored;
    dns_fd_->cancel(ignored);
    dns_fd_->release();  // the fd is libmnl's (dns_socket_ closes it)
    if (!dns_verdicts_.empty()) dns_socket_->send_verdicts(dns_verdicts_);
    dns_socket_->stop();
  }
  if (binding_mode_ != BindingMode::Off && !state_file_.empty()) {
    saved_learned_ = ~std::uint64_t{0};  // always write the last state
    save_state();
  }
}

}  // namespace nfegress::enforcer
