// init/kube/stream.hpp — layer: I/O (Kubernetes API list and watch, resource-agnostic). What every collection kept
// in sync shares: paging through a list, one watch stream kept open from a resourceVersion (bookmarks; 410 Gone ->
// relist; a dropped stream resumes from the last resourceVersion seen, so no event is lost; reconnects back off
// exponentially) and a debouncer that turns a burst of changes into one callback. What an object means belongs to
// the caller (kube::Watcher: policy resources; kube::PodWatcher: the pods of a node). GET only; no policy here.
#pragma once
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "init/kube/client.hpp"

namespace nfegress::kube {

struct RetryPolicy {
  int attempts = 6;                          // per request, first try included
  std::chrono::milliseconds first{250};      // backoff doubles from here...
  std::chrono::milliseconds max{4000};       // ...up to this
};

using Log = std::function<void(const std::string&)>;

enum class ListStatus { Ok, NotFound, Failed };

struct WatchOptions {
  RetryPolicy retry;                               // initial list and relists
  std::chrono::milliseconds debounce{100};         // quiet time after the last change before calling back...
  std::chrono::milliseconds max_delay{500};        // ...but never later than this after the first change
  std::chrono::milliseconds reconnect_first{250};  // watch reconnect backoff, doubling...
  std::chrono::milliseconds reconnect_max{8000};   // ...up to this
  int timeout_seconds = 290;                       // asked of the server per watch (it ends the stream then)
  Log log;                                         // default: stderr
};

// One list/watch collection: a path and the query parameters sent with both (a field selector).
struct Collection {
  std::string path;      // "/api/v1/pods", "/apis/GROUP/VERSION/namespaces/NS/PLURAL"
  std::string selector;  // "" or encoded parameters: "fieldSelector=spec.nodeName%3Dnode-1"
  std::string what;      // for messages: "Pod/v1 on node node-1"
};

// Every page of one list, one try: the items in the server's order and the list's resourceVersion.
ListStatus list_items(Client& client, const Collection& c, std::vector<nlohmann::json>& items,
                      std::string& resource_version, Error& error);

// Runs `attempt` until it does not fail transiently, at most retry.attempts times, backing off in between;
// sleeps are cut short by client.stop().
ListStatus with_retries(const Client& client, const RetryPolicy& retry,
                        const std::function<ListStatus(Error&)>& attempt, Error& error);

// What a watch does with what it reads; called on the watching thread.
struct WatchSink {
  std::function<void(const std::string& type, nlohmann::json object)> event;  // ADDED, MODIFIED, DELETED
  std::function<void(std::vector<nlohmann::json> items)> relisted;            // a fresh list after 410 Gone
};

// Watches `c` from `resource_version` until client.stop() (blocks): see the header comment.
void watch_collection(Client& client, const Collection& c, std::string resource_version,
                      const WatchOptions& options, const WatchSink& sink, const Log& log);

// Calls `flush` `quiet` after the last change of a burst, but never later than `max_delay` after its first.
class Debouncer {
 public:
  Debouncer(std::chrono::milliseconds quiet, std::chrono::milliseconds max_delay)
      : quiet_(quiet), max_delay_(max_delay) {}
  void changed();  // thread-safe
  void stop();     // thread-safe; run() returns soon
  void run(const std::function<void()>& flush);  // blocks until stop(); flush runs on this thread

 private:
  std::chrono::milliseconds quiet_, max_delay_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool dirty_ = false;
  std::chrono::steady_clock::time_point last_change_{};
};

// Something Follower keeps running: lists, calls back, watches until stop(). False (error set) when the first list
// failed.
class Runner {
 public:
  virtual ~Runner() = default;
  virtual bool run(std::string& error) = 0;
  virtual void stop() = 0;
};

// Sleeps `d` unless the client is stopped first (polls); false when stopped.
bool sleep_unless_stopped(const Client& client, std::chrono::milliseconds d);

// The "message" of a Kubernetes Status body, or the body itself (shortened).
std::string status_message(unsigned status, const std::string& body);

}  // namespace nfegress::kube
