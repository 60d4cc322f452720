// enforcer/runtime.cpp — layer: kernel glue (thin). See runtime.hpp.
#include "enforcer/runtime.hpp"

namespace nfegress::enforcer {

Runtime::Runtime(boost::asio::io_context& io, std::shared_ptr<const CompiledPolicy> policy, RuntimeOptions opts)
    : engine_(std::move(policy), opts.client_ns, opts.limits, counters_),
      socket_(io, std::move(opts.queue), counters_),
      timer_(io) {
  verdicts_.reserve(256);
  if (opts.http_deny_403) {
    reply_ = std::make_unique<ReplySocket>();
    // The engine calls it before it appends the flow's verdicts, and they are sent after the burst: the 403 and
    // the FIN reach the client's socket before the reset the held packets' verdict makes.
    if (reply_->any()) engine_.set_http_deny_responder([this](const ForgedReply& r) { return reply_->send(r); });
  }
}

void Runtime::start() {
  socket_.start(
      [this](const nfq::PacketMsg& m) {
        const QueuedPacket q{m.queue, m.id, m.mark.value_or(0), m.truncated, m.payload};
        engine_.on_packet(q, Clock::now(), verdicts_);
      },
      [this] { flush(); });
  tick();
}

void Runtime::flush() {
  if (verdicts_.empty()) return;
  socket_.send_verdicts(verdicts_);
  verdicts_.clear();
}

void Runtime::tick() {
  if (stopped_) return;
  engine_.expire(Clock::now(), verdicts_);
  flush();
  timer_.expires_after(std::chrono::milliseconds(100));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  });
}

void Runtime::stop() {
  if (stopped_) return;
  stopped_ = true;
  timer_.cancel();
  flush();
  socket_.stop();
}

}  // namespace nfegress::enforcer
