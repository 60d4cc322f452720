// enforcer/runtime.hpp — layer: kernel glue (thin). Wires the queue socket to the engine on one Boost.Asio
// io_context: packets in, verdicts out after each burst, a 100 ms timer for the engine's timeouts. Everything runs
// on the io_context's thread, so the counters and swap_policy() need no locks (post to the context to call them
// from elsewhere). Must not: decide anything (engine), parse options (init/cmd_enforce.cpp).
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "enforcer/counters.hpp"
#include "enforcer/decision.hpp"
#include "enforcer/engine.hpp"
#include "enforcer/name_bindings.hpp"
#include "enforcer/resolver.hpp"
#include "enforcer/queue_socket.hpp"
#include "enforcer/reply_socket.hpp"

namespace nfegress::enforcer {

struct RuntimeOptions {
  std::string client_ns;
  EngineLimits limits;
  QueueSocketOptions queue;
  bool http_deny_403 = true;
  // --http-deny=403 above: answer denied HTTP/1.x requests (reply_socket.hpp) before the reset.
  // Issue 19: park first-flight segments (engine_park.cpp); when false, held as before and `park_off` says why.
  // Node/gateway mode parks too: its table's output chain queues the copies the host sends (ruleset_node.cpp).
  bool park = true;
  std::string park_off;
  // Issue 17, name binding: `dns_queue` (0: none) carries the resolvers' answers (bound fail-open, always
  // accepted); `dns_servers` are asked on a miss (resolve mode), bounded by `resolve_timeout`; `state_dir`
  // (empty: none) keeps the bindings across a restart.
  BindingMode binding_mode = BindingMode::Off;
  BindingLimits binding_limits;
  std::uint16_t dns_queue = 0;
  std::vector<policy::IpAddr> dns_servers;
  std::chrono::milliseconds resolve_timeout{2000};
  std::string state_dir;
  bool strip_ech = false;  // --strip-ech: HTTPS/SVCB answers pass on without their ech parameter
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
  // Node and gateway mode: new flows use their client's policy, by source address (engine.hpp, set_clients).
  void swap_clients(std::shared_ptr<const ClientPolicies> c) { engine_.set_clients(std::move(c)); }
  void set_decision_callback(DecisionCallback cb) { engine_.set_decision_callback(std::move(cb)); }
  const Counters& counters() const { return counters_; }
  const Engine& engine() const { return engine_; }
  // For the start-up log: "on", "off (why)", "on for IPv4 only (why)", or "off (--http-deny=reset)".
  std::string http_deny_status() const { return http_deny_403_ ? reply_->status() : "off (--http-deny=reset)"; }
  // Issue 19: "on" (segments of undecided flows are parked, engine_park.cpp) or "off (why)".
  std::string park_status() const { return park_off_.empty() ? "on" : park_off_; }
  // For the start-up log: the binding mode, the DNS queue, the servers, and what the state file gave.
  std::string name_binding_status() const {
    return binding_load_error_.empty() ? binding_status_ : binding_status_ + "; " + binding_load_error_;
  }
  const NameBindings& bindings() const { return bindings_; }

 private:
  void tick();
  void flush();
  void on_resolved(const std::string& name, std::vector<dns::Answer> answers);
  void load_state();
  void save_state();

  Counters counters_;
  BindingMode binding_mode_;
  std::uint16_t dns_queue_;
  std::string state_file_;
  bool strip_ech_;
  std::uint64_t saved_learned_ = 0;  // counters_.dns_answers_learned + resolves_answered when last saved
  NameBindings bindings_;
  std::string binding_status_;
  std::string binding_load_error_;  // the state file could not be read (reported at start, ignored)
  std::uint64_t ticks_ = 0;
  std::unique_ptr<Resolver> resolver_;
  Engine engine_;
  QueueSocket socket_;
  std::unique_ptr<ReplySocket> reply_;  // the 403 (unless --http-deny=reset), parked ACKs and copies (issue 19)
  bool http_deny_403_ = true;
  std::string park_off_;  // why segments are held, not parked ("" = parking on)
  boost::asio::steady_timer timer_;
  std::vector<VerdictOut> verdicts_;
  bool stopped_ = false;
};

}  // namespace nfegress::enforcer
