// init/kube/watch.cpp — layer: I/O (Kubernetes API watch). See watch.hpp. One thread per watch stream (a
// handful: resource types x namespaces); the calling thread debounces and calls back.
#include "init/kube/watch.hpp"

#include <algorithm>
#include <iostream>

namespace nfegress::kube {

using nlohmann::json;

namespace {

std::string resource_version_of(const json& object) {
  const auto md = object.find("metadata");
  if (md == object.end() || !md->is_object()) return {};
  const auto rv = md->find("resourceVersion");
  return rv != md->end() && rv->is_string() ? rv->get<std::string>() : std::string();
}

}  // namespace

Watcher::Watcher(Client& client, std::vector<std::string> namespaces, policy::LoadOptions load, Callback callback,
                 WatchOptions options)
    : client_(client),
      namespaces_(std::move(namespaces)),
      load_(std::move(load)),
      callback_(std::move(callback)),
      options_(std::move(options)) {}

Watcher::~Watcher() {
  stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

void Watcher::log(const std::string& line) const {
  if (options_.log) {
    options_.log(line);
  } else {
    std::cerr << "nfegress: " << line << "\n";
  }
}

std::size_t Watcher::relists() const {
  std::lock_guard lock(mu_);
  return relists_;
}

void Watcher::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  client_.stop();
}

bool Watcher::run(std::string& error) {
  Snapshot snap;
  if (!list_all(client_, namespaces_, options_.retry, [this](const std::string& s) { log(s); }, snap, error))
    return false;
  ObjectMap initial = snap.objects;
  {
    std::lock_guard lock(mu_);
    snapshot_ = std::move(snap);
  }
  callback_(to_load_result(initial, load_));
  for (std::size_t i = 0; i < snapshot_.scopes.size(); ++i) threads_.emplace_back([this, i] { watch_loop(i); });
  debounce_loop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  return true;
}

void Watcher::changed() {
  {
    std::lock_guard lock(mu_);
    dirty_ = true;
    last_change_ = std::chrono::steady_clock::now();
  }
  cv_.notify_all();
}

void Watcher::debounce_loop() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return dirty_ || stopping_; });
    if (stopping_) return;
    const auto first = std::chrono::steady_clock::now();
    while (!stopping_) {
      const auto deadline = std::min(last_change_ + options_.debounce, first + options_.max_delay);
      if (std::chrono::steady_clock::now() >= deadline) break;
      cv_.wait_until(lock, deadline);
    }
    if (stopping_) return;
    dirty_ = false;
    const ObjectMap copy = snapshot_.objects;
    lock.unlock();
    callback_(to_load_result(copy, load_));
    lock.lock();
  }
}

bool Watcher::on_event(std::size_t index, std::string_view line, std::string& resource_version, bool& gone) {
  const Scope& scope = snapshot_.scopes[index];
  auto event = json::parse(line, nullptr, false);
  if (!event.is_object() || !event.contains("type") || !event["type"].is_string() || !event.contains("object")) {
    log("kube: watch of " + scope.describe() + ": unreadable event; reconnecting");
    return false;
  }
  const auto type = event["type"].get<std::string>();
  auto& object = event["object"];
  if (type == "ERROR") {
    const int code = object.is_object() && object.contains("code") && object["code"].is_number_integer()
                         ? object["code"].get<int>() : 0;
    gone = code == 410;
    if (!gone) log("kube: watch of " + scope.describe() + ": " + status_message(code, object.dump()));
    return false;
  }
  const std::string rv = resource_version_of(object);
  if (type == "ADDED" || type == "MODIFIED" || type == "DELETED") {
    bool did_change = false;
    {
      std::lock_guard lock(mu_);
      auto& objects = snapshot_.objects;
      if (type == "DELETED") {
        did_change = objects.erase(key_of(scope, object)) > 0;
      } else {
        const auto key = key_of(scope, object);
        const auto before = objects.find(key);
        const json old = before == objects.end() ? json() : before->second;
        did_change = put_object(objects, scope, std::move(object)) && objects[key] != old;
      }
    }
    if (did_change) changed();
  } else if (type != "BOOKMARK") {
    log("kube: watch of " + scope.describe() + ": unknown event type " + type + " ignored");
  }
  if (!rv.empty()) resource_version = rv;
  return true;
}

bool Watcher::relist(std::size_t index, std::string& resource_version) {
  const Scope& scope = snapshot_.scopes[index];
  ObjectMap found;
  Error err;
  {
    std::lock_guard lock(mu_);
    ++relists_;
  }
  if (list_scope_retrying(client_, scope, options_.retry, found, resource_version, err) != ListStatus::Ok) {
    if (!client_.stopped()) log("kube: relist of " + scope.describe() + " failed: " + err.message);
    return false;
  }
  bool did_change = false;
  {
    std::lock_guard lock(mu_);
    did_change = replace_scope(snapshot_.objects, scope, std::move(found));
  }
  if (did_change) changed();
  return true;
}

void Watcher::watch_loop(std::size_t index) {
  const Scope scope = snapshot_.scopes[index];
  std::string rv = snapshot_.resource_versions[index];
  auto backoff = options_.reconnect_first;
  bool need_relist = false;
  while (!client_.stopped()) {
    if (need_relist) {
      if (!relist(index, rv)) {
        if (!sleep_unless_stopped(client_, backoff)) return;
        backoff = std::min(backoff * 2, options_.reconnect_max);
        continue;
      }
      need_relist = false;
    }
    const std::string target = scope.path() + "?watch=true&allowWatchBookmarks=true&resourceVersion=" +
                               url_encode(rv) + "&timeoutSeconds=" + std::to_string(options_.timeout_seconds);
    bool gone = false, any = false, broken = false;
    unsigned status = 0;
    std::string body;
    Error err;
    const bool ok = client_.stream(target, status, body, [&](std::string_view line) {
      any = true;
      if (on_event(index, line, rv, gone)) return true;
      broken = !gone;  // an ERROR event or an unreadable line: reconnect with backoff
      return false;
    }, err);
    if (client_.stopped()) return;
    if (gone || (ok && status == 410)) {
      log("kube: watch of " + scope.describe() + ": resourceVersion " + rv + " expired (410 Gone): relisting");
      need_relist = true;
      continue;
    }
    if (ok && status == 200 && any && !broken) {
      backoff = options_.reconnect_first;  // the server ended a healthy watch: resume at once
      continue;
    }
    const std::string why = !ok               ? err.message
                            : broken            ? "error event"
                            : status == 200     ? "stream ended without events"
                                                : status_message(status, body);
    log("kube: watch of " + scope.describe() + " from resourceVersion " + rv + ": " + why + "; reconnecting in " +
        std::to_string(backoff.count()) + " ms");
    if (!sleep_unless_stopped(client_, backoff)) return;
    backoff = std::min(backoff * 2, options_.reconnect_max);
  }
}

}  // namespace nfegress::kube
