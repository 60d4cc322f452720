// enforcer/runtime.hpp — layer: kernel glue (thin). Issue 19 ("every core"): one QueueWorker (queue_worker.hpp)
// per flow queue, each on its own thread with its own io_context, socket, engine and counters; the kernel's queue
// hash (of the address pair) keeps each flow on one queue, so no packet path takes a lock. The runtime itself lives on the caller's
// io_context (the one the admin server, reloads and signals run on) and owns what is shared: the DNS answer queue,
// the resolver, the master copy of the name bindings and its state file (one writer). Shared state reaches the
// workers as messages: policy and client swaps are posted to every worker; a learned DNS answer is posted to
// every worker and the answer's verdict is sent only when all of them have it, so a client never connects before
// the worker that will see its flow knows the name; a resolved name is posted to all (each wakes its own waiting
// flows). Counters are summed over the workers when read (counters()).
// Must not: decide anything (engine), parse options (init/), touch a worker's state except through its post().
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "enforcer/counters.hpp"
#include "enforcer/decision.hpp"
#include "enforcer/engine.hpp"
#include "enforcer/name_bindings.hpp"
#include "enforcer/resolver.hpp"
#include "enforcer/queue_socket.hpp"
#include "enforcer/queue_worker.hpp"
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
  // Binds every queue, one worker per flow queue (throws std::runtime_error on failure). Each worker gets the
  // engine limits (flows, decisions) as they are; the parked bytes are shared out evenly (rounded up).
  Runtime(boost::asio::io_context& io, std::shared_ptr<const CompiledPolicy> policy, RuntimeOptions opts);
  ~Runtime();

  void start();  // the workers' threads; the DNS side reads and ticks on `io`
  void stop();   // stops and joins the workers (held packets are dropped by the kernel: fail-closed), saves state

  // Live reload hook (issue 5): new flows use the new plan and matcher; decided flows keep their decision.
  // Call on `io`'s thread: posted to every worker.
  void swap_policy(std::shared_ptr<const CompiledPolicy> p);
  std::shared_ptr<const CompiledPolicy> policy() const { return policy_; }
  // Node and gateway mode: new flows use their client's policy, by source address (engine.hpp, set_clients).
  void swap_clients(std::shared_ptr<const ClientPolicies> c);
  // Before start(): where every worker's decisions go (decision.hpp).
  void set_decision_output(DecisionOutput out);
  // The sum of every worker's counters and the DNS side's; any thread (counters.hpp). Exact after stop().
  Counters counters() const;
  // "queues 100-101, 2 threads" for the start-up log.
  std::string queues_status() const;
  // "100=1234 101=1180": packets read per flow queue (the exit summary).
  std::string queue_packets() const;
  std::size_t workers() const { return workers_.size(); }
  // For the start-up log: "on", "off (why)", "on for IPv4 only (why)", or "off (--http-deny=reset)".
  std::string http_deny_status() const { return workers_.front()->http_deny_status(); }
  // Issue 19: "on" (segments of undecided flows are parked, engine_park.cpp) or "off (why)".
  std::string park_status() const { return workers_.front()->park_status(); }
  // For the start-up log: the binding mode, the DNS queue, the servers, and what the state file gave.
  std::string name_binding_status() const {
    return binding_load_error_.empty() ? binding_status_ : binding_status_ + "; " + binding_load_error_;
  }
  const NameBindings& bindings() const { return bindings_; }  // the master copy (io's thread)

 private:
  void tick();
  void dns_wait();
  void dns_drain();
  void dns_flush();
  void resolve(const std::string& name);
  void on_resolved(const std::string& name, std::vector<dns::Answer> answers);
  std::string load_state();
  void save_state();

  boost::asio::io_context& io_;
  std::shared_ptr<const CompiledPolicy> policy_;
  Counters counters_;  // the DNS side's (io's thread)
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
  std::vector<std::unique_ptr<QueueWorker>> workers_;
  std::unique_ptr<QueueSocket> dns_socket_;  // only the DNS answer queue (fail-open)
  std::optional<boost::asio::posix::stream_descriptor> dns_fd_;  // watches its fd (owned by dns_socket_)
  std::vector<VerdictOut> dns_verdicts_;
  std::vector<dns::Answer> learned_;  // this burst's answers, for the workers
  boost::asio::steady_timer timer_;
  bool stopped_ = false;
};

}  // namespace nfegress::enforcer
