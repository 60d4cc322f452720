// init/kube/pod_watch.cpp — layer: I/O (Kubernetes API watch). See pod_watch.hpp. One watch thread; the thread
// that calls watch() debounces and calls back.
#include "init/kube/pod_watch.hpp"

#include <algorithm>
#include <iostream>
#include <thread>

namespace nfegress::kube {

using nlohmann::json;

Collection pods_on_node(const std::string& node) {
  return {"/api/v1/pods", "fieldSelector=" + url_encode("spec.nodeName=" + node), "Pod/v1 on node " + node};
}

PodWatcher::PodWatcher(Client& client, std::string node, Callback callback, WatchOptions options)
    : client_(client),
      collection_(pods_on_node(node)),
      callback_(std::move(callback)),
      options_(std::move(options)),
      debouncer_(options_.debounce, options_.max_delay) {}

PodWatcher::~PodWatcher() { stop(); }

void PodWatcher::stop() {
  debouncer_.stop();
  client_.stop();
}

void PodWatcher::log(const std::string& line) const {
  if (options_.log) {
    options_.log(line);
  } else {
    std::cerr << "nfegress: " << line << "\n";
  }
}

bool PodWatcher::put(json pod) {
  std::string error;
  const auto key = pod_key(pod, error);
  if (!key) {
    log("kube: " + collection_.what + ": " + error + "; ignored");
    return false;
  }
  auto a = pod_addresses(pod);
  std::lock_guard lock(mu_);
  auto it = pods_.find(*key);
  if (it != pods_.end() && it->second == a) return false;
  if (it == pods_.end() || it->second.errors != a.errors)
    for (const auto& e : a.errors) log("kube: " + e + " (address ignored)");
  const bool changed = it == pods_.end() ? !a.clients.empty() : it->second.clients != a.clients;
  pods_[*key] = std::move(a);
  return changed;
}

void PodWatcher::flush() {
  std::unique_lock lock(mu_);
  auto now = pod_clients(pods_);
  lock.unlock();
  for (const auto& e : now.errors)  // overlaps that are new since the last call back
    if (e.find(" overlaps ") != std::string::npos &&
        std::find(last_errors_.begin(), last_errors_.end(), e) == last_errors_.end())
      log("kube: " + e + " (the first pod by namespace/name keeps the address)");
  last_errors_ = std::move(now.errors);
  callback_(std::move(now.clients));
}

bool PodWatcher::list(std::string& error) {
  std::vector<json> items;
  Error err;
  const auto st = with_retries(
      client_, options_.retry, [&](Error& e) { return list_items(client_, collection_, items, resource_version_, e); },
      err);
  if (st != ListStatus::Ok) {
    error = (st == ListStatus::NotFound ? "list " + collection_.what + ": HTTP 404" : err.message) + " from " +
            client_.config().server() + " (" + client_.config().origin + ")";
    return false;
  }
  for (auto& pod : items) put(std::move(pod));
  flush();
  return true;
}

void PodWatcher::watch() {
  const WatchSink sink{
      [this](const std::string& type, json object) {
        bool changed = false;
        if (type != "DELETED") {
          changed = put(std::move(object));
        } else if (std::string e; const auto key = pod_key(object, e)) {
          std::lock_guard lock(mu_);
          const auto it = pods_.find(*key);
          changed = it != pods_.end() && !it->second.clients.empty();
          if (it != pods_.end()) pods_.erase(it);
        }
        if (changed) debouncer_.changed();
      },
      [this](std::vector<json> fresh) {  // after 410 Gone: the fresh list replaces every pod
        std::map<PodKey, PodAddresses> before;
        {
          std::lock_guard lock(mu_);
          before.swap(pods_);
        }
        for (auto& pod : fresh) put(std::move(pod));
        std::lock_guard lock(mu_);
        if (pod_clients(before).clients != pod_clients(pods_).clients) debouncer_.changed();
      }};
  std::thread stream([this, &sink] {
    watch_collection(client_, collection_, resource_version_, options_, sink, [this](const std::string& s) { log(s); });
  });
  debouncer_.run([this] { flush(); });
  client_.stop();  // stop() was called: make sure the stream ends
  stream.join();
}

bool PodWatcher::run(std::string& error) {
  if (!list(error)) return false;
  watch();
  return true;
}

}  // namespace nfegress::kube
