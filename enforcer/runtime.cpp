// enforcer/runtime.cpp — layer: kernel glue (thin). See runtime.hpp.
#include "enforcer/runtime.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

#include <linux/netfilter/nfnetlink_queue.h>
#include <unistd.h>

#include "enforcer/dns_queue.hpp"

namespace nfegress::enforcer {

Runtime::Runtime(boost::asio::io_context& io, std::shared_ptr<const CompiledPolicy> policy, RuntimeOptions opts)
    : binding_mode_(opts.binding_mode),
      dns_queue_(opts.binding_mode == BindingMode::Off ? 0 : opts.dns_queue),
      state_file_(opts.state_dir.empty() ? "" : opts.state_dir + "/bindings"),
      strip_ech_(opts.strip_ech),
      bindings_(opts.binding_limits),
      engine_(std::move(policy), opts.client_ns, opts.limits, counters_),
      socket_(io, [&] {
        // The DNS answer queue is bound fail-open: a full queue lets answers through unlearned (the kernel rule
        // has `bypass` for when nothing listens at all). Only the flow queues are fail-closed.
        if (dns_queue_ != 0) {
          nfq::QueueConfig q;
          q.queue = dns_queue_;
          q.fail_open = true;
          q.copy_range = 4096;
          opts.queue.queues.push_back(q);
        }
        return std::move(opts.queue);
      }(),
              counters_),
      timer_(io) {
  verdicts_.reserve(256);
  reply_ = std::make_unique<ReplySocket>();
  http_deny_403_ = opts.http_deny_403;
  // The engine calls it before it appends the flow's verdicts, and they are sent after the burst: the 403 and
  // the FIN reach the client's socket before the reset the held packets' verdict makes.
  if (http_deny_403_ && reply_->any())
    engine_.set_http_deny_responder([this](const ForgedReply& r) { return reply_->send(r); });
  // Issue 19: parking needs the raw sockets (CAP_NET_RAW), and the parked copies must be queued again on their
  // way out: an enforcer running as the --exempt-uid would send them past the output chain, so it holds instead.
  // A family without its raw socket holds (its ACKs and copies could not be sent).
  const auto& exempt = engine_.policy()->plan.kernel.exempt_uid;
  if (!opts.park)
    park_off_ = "off (" + opts.park_off + ")";
  else if (!reply_->any())
    park_off_ = "off (" + reply_->status() + ")";
  else if (exempt && *exempt == ::geteuid())
    park_off_ = "off (the enforcer runs as --exempt-uid " + std::to_string(*exempt) + ")";
  else {
    engine_.set_packet_sender([this](std::span<const std::uint8_t> l3) { return reply_->send_packet(l3); },
                              reply_->has(false), reply_->has(true));
    if (!reply_->has(false) || !reply_->has(true))
      park_off_ = std::string("on for ") + (reply_->has(false) ? "IPv4" : "IPv6") + " only, the other family holds (" +
                  reply_->status() + ")";
  }
  if (binding_mode_ == BindingMode::Off) {
    binding_status_ = "off: an allowed SNI or Host reaches any address of its network (upstream Linkerd's behaviour)";
    return;
  }
  std::function<void(const std::string&)> resolve;
  if (binding_mode_ == BindingMode::Resolve) {
    resolver_ = std::make_unique<Resolver>(io, opts.dns_servers, opts.resolve_timeout,
                                           [this](const std::string& name, std::vector<dns::Answer> answers) {
                                             on_resolved(name, std::move(answers));
                                           });
    resolve = [this](const std::string& name) {
      const std::size_t before = resolver_->in_flight();
      resolver_->resolve(name);
      if (resolver_->in_flight() > before) ++counters_.resolves_sent;  // not when the name is being resolved already
    };
  }
  engine_.set_name_binding(binding_mode_, &bindings_, std::move(resolve));
  load_state();
  std::ostringstream s;
  s << to_string(binding_mode_) << ", DNS answer queue " << (dns_queue_ ? std::to_string(dns_queue_) + " (fail-open)" : std::string("none (no resolver to learn from)")) << ", resolves misses through";
  if (opts.dns_servers.empty()) s << " none (nothing to resolve with)";
  for (const auto& a : opts.dns_servers) s << " " << policy::format_ip(a);
  s << ", min TTL " << opts.binding_limits.min_ttl.count() << " s";
  if (strip_ech_) s << ", strips ech from HTTPS/SVCB answers";
  if (!state_file_.empty()) s << ", state " << state_file_ << " (" << bindings_.names() << " names loaded)";
  binding_status_ = s.str();
}

void Runtime::start() {
  socket_.start(
      [this](const nfq::PacketMsg& m) {
        const QueuedPacket q{m.queue, m.id, m.mark.value_or(0), m.truncated, m.payload,
                             (m.skb_info & NFQA_SKB_GSO) != 0};
        if (dns_queue_ != 0 && m.queue == dns_queue_) return on_dns_packet(q, bindings_, counters_, Clock::now(), verdicts_, strip_ech_);
        engine_.on_packet(q, Clock::now(), verdicts_);
      },
      [this] { flush(); });
  tick();
}

void Runtime::on_resolved(const std::string& name, std::vector<dns::Answer> answers) {
  const auto now = Clock::now();
  bool any = false;
  for (const auto& a : answers)
    if (!a.addrs.empty()) {
      bindings_.learn(a, now);
      any = true;
    }
  ++(any ? counters_.resolves_answered : counters_.resolves_failed);
  sync_binding_counters(bindings_, counters_);
  engine_.on_resolved(name, now, verdicts_);
  flush();
}

void Runtime::flush() {
  if (verdicts_.empty()) return;
  socket_.send_verdicts(verdicts_);
  verdicts_.clear();
}

void Runtime::tick() {
  if (stopped_) return;
  const auto now = Clock::now();
  engine_.expire(now, verdicts_);
  flush();
  if (binding_mode_ != BindingMode::Off) {
    bindings_.expire(now);
    sync_binding_counters(bindings_, counters_);
    if (++ticks_ % 50 == 0) save_state();  // every 5 s, when something was learned
  }
  timer_.expires_after(std::chrono::milliseconds(100));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  });
}

// The state file: read once at start; a bad file is reported and ignored (the enforcer resolves on a miss).
void Runtime::load_state() {
  if (state_file_.empty()) return;
  std::ifstream in(state_file_);
  if (!in) return;  // the first start: nothing saved yet
  std::ostringstream text;
  text << in.rdbuf();
  std::string error;
  if (!bindings_.load(text.str(), Clock::now(), std::chrono::system_clock::now(), error))
    binding_load_error_ = state_file_ + ": " + error + " (ignored)";
}

// Written to a temporary file and renamed over the old one: a crash never leaves half a file.
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
  flush();
  socket_.stop();
  if (binding_mode_ != BindingMode::Off && !state_file_.empty()) {
    saved_learned_ = ~std::uint64_t{0};  // always write the last state
    save_state();
  }
}

}  // namespace nfegress::enforcer
