// enforcer/runtime.hpp — layer: kernel glue (thin). Wires the queue socket to the engine on one Boost.Asio
// io_context: packets in, verdicts out after each burst, a 100 ms timer for the engine's timeouts. Everything runs
// on the io_context's thread, so the counters and swap_policy() need no locks (post to the context to call them
// from elsewhere). Must not: decide anything (engine), parse options (cmd_enforce.cpp).
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <vector>

#include "enforcer/counters.hpp"
#include "enforcer/decision.hpp"
#include "enforcer/engine.hpp"
#include "enforcer/queue_socket.hpp"
#include "enforcer/reply_socket.hpp"

namespace nfegress::enforcer {

struct RuntimeOptions {
  std::string client_ns;
  EngineLimits limits;
  QueueSocketOptions queue;
  bool http_deny_403 = true;  // --http-deny=403: answer denied HTTP/1.x requests (reply_socket.hpp) before the reset
};

class Runtime {
 public:
  // Binds the queues (throws std::runtime_error on failure).
  Runtime(boost::asio::io_context& io, std::shared_ptr<const CompiledPolicy> policy, RuntimeOptions opts);

  void start();  // read packets, tick the timer
  void stop();   // unbind (held packets are dropped by the kernel: fail-closed), stop the timer

  // Live reload hook (issue 5): new flows use the new plan and matcher; decided flows keep their decision.
  // Call on the io_context's thread.
  void swap_policy(std::shared_ptr<const CompiledPolicy> p) { engine_.set_policy(std::move(p)); }
  std::shared_ptr<const CompiledPolicy> policy() const { return engine_.policy(); }
  void set_decision_callback(DecisionCallback cb) { engine_.set_decision_callback(std::move(cb)); }
  const Counters& counters() const { return counters_; }
  const Engine& engine() const { return engine_; }
  // For the start-up log: "on", "off (why)", "on for IPv4 only (why)", or "off (--http-deny=reset)".
  std::string http_deny_status() const { return reply_ ? reply_->status() : "off (--http-deny=reset)"; }

 private:
  void tick();
  void flush();

  Counters counters_;
  Engine engine_;
  QueueSocket socket_;
  std::unique_ptr<ReplySocket> reply_;  // none with --http-deny=reset
  boost::asio::steady_timer timer_;
  std::vector<VerdictOut> verdicts_;
  bool stopped_ = false;
};

}  // namespace nfegress::enforcer
