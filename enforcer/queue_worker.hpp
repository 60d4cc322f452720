// enforcer/queue_worker.hpp — layer: kernel glue (thin). Issue 19 ("every core"): one flow queue served by its
// own thread. A worker owns everything its packets touch: a QueueSocket bound to its queue only, an Engine and its
// flow table, Counters, a ReplySocket, the verdict and decision-line buffers, and its own copy of the name
// bindings. The kernel's queue hash (of the address pair) keeps a flow on one queue, so no flow is ever seen by two
// workers and nothing on the packet path is locked. Its thread is a plain loop, as lean as a bare NFQUEUE reader:
// a blocking receive of one datagram (at most 100 ms), the verdicts it caused sent at once, and every 100 ms the
// tick (the engine's bounds, the bindings' expiry, the decision log's lines written). Everything else reaches a
// worker as a function posted to it (policy swaps, learned DNS answers, resolved names, the stop): the poster
// queues it under a lock and, when the queue was empty, wakes the receive with a datagram of its own
// (WakeSocket); the loop runs posts before the packets that follow them. Its counters are read from other threads
// (single-writer atomics, counters.hpp).
// Must not: decide anything (engine), share a flow, block its thread on anything but its socket, be touched from
// another thread except through post() and counters().
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "enforcer/counters.hpp"
#include "enforcer/decision.hpp"
#include "enforcer/engine.hpp"
#include "enforcer/name_bindings.hpp"
#include "enforcer/queue_socket.hpp"
#include "enforcer/reply_socket.hpp"

namespace nfegress::enforcer {

struct WorkerOptions {
  std::string client_ns;
  EngineLimits limits;           // this worker's (runtime.cpp shares out the parked bytes)
  nfq::QueueConfig queue;        // the one flow queue it binds
  int rcvbuf = 8 << 20;
  bool http_deny_403 = true;
  bool park = true;
  std::string park_off;  // why not (when park is false)
  BindingMode binding_mode = BindingMode::Off;
  BindingLimits binding_limits;
  std::string bindings_state;    // the state file's text, loaded into this worker's copy ("" = none)
  // Resolve mode: called on the worker's thread for a name with no binding (the runtime posts it to the resolver).
  std::function<void(const std::string&)> resolve;
};

class QueueWorker {
 public:
  // Binds the queue (throws std::runtime_error naming it, like QueueSocket). The thread starts in start().
  QueueWorker(std::shared_ptr<const CompiledPolicy> policy, WorkerOptions opts);
  ~QueueWorker();
  QueueWorker(const QueueWorker&) = delete;
  QueueWorker& operator=(const QueueWorker&) = delete;

  // Set before start(): where decisions go (route metrics, decision log; thread-safe).
  void set_decision_output(DecisionOutput out) { out_ = std::move(out); }
  void start();           // the thread: read packets, tick
  void stop_and_join();   // posts the stop (flush, unbind: held packets are dropped, fail-closed), joins

  // Runs `f` on the worker's thread (FIFO with the other posts), before the packets it receives after this.
  void post(std::function<void()> f);
  // On the worker's thread (post them): the next flows use the new policy / clients.
  void swap_policy(std::shared_ptr<const CompiledPolicy> p) { engine_.set_policy(std::move(p)); }
  void swap_clients(std::shared_ptr<const ClientPolicies> c) { engine_.set_clients(std::move(c)); }
  // On the worker's thread: learn answers the runtime's DNS side read or resolved (at its `learned_at`), and, for
  // a resolved name, decide the flows that waited for it.
  void learn(const std::vector<dns::Answer>& answers, Clock::time_point learned_at);
  void on_resolved(const std::string& name);

  const Counters& counters() const { return counters_; }  // any thread (single-writer atomics)
  std::uint16_t queue() const { return queue_; }
  std::string http_deny_status() const { return http_deny_403_ ? reply_.status() : "off (--http-deny=reset)"; }
  std::string park_status() const { return park_off_.empty() ? "on" : park_off_; }

 private:
  void run();
  void run_posts();
  void tick(Clock::time_point now);
  void send_verdicts();
  void write_lines();
  void stop();

  Counters counters_;
  std::uint16_t queue_;
  BindingMode binding_mode_;
  NameBindings bindings_;
  Engine engine_;
  QueueSocket socket_;
  ReplySocket reply_;
  bool http_deny_403_;
  std::string park_off_;
  WakeSocket waker_;
  std::mutex posts_mu_;
  std::vector<std::function<void()>> posts_;  // under posts_mu_
  std::atomic<bool> posted_{false};           // posts_ is not empty (read without the lock on every packet)
  std::vector<VerdictOut> verdicts_;
  std::string lines_;  // decision log lines since the last tick, written on the next (or at 64 KiB, or the stop)
  DecisionOutput out_;
  Clock::time_point next_tick_{};
  std::thread thread_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace nfegress::enforcer
