// init/kube/stream.cpp — layer: I/O (Kubernetes API list and watch, resource-agnostic). See stream.hpp.
#include "init/kube/stream.hpp"

#include <algorithm>
#include <thread>

namespace nfegress::kube {

using nlohmann::json;

namespace {

std::string with_selector(const Collection& c, std::string query) {
  return c.path + "?" + (c.selector.empty() ? query : c.selector + "&" + query);
}

std::string resource_version_of(const json& object) {
  const auto md = object.find("metadata");
  if (md == object.end() || !md->is_object()) return {};
  const auto rv = md->find("resourceVersion");
  return rv != md->end() && rv->is_string() ? rv->get<std::string>() : std::string();
}

// One line of a watch stream. False when the stream should be dropped (an ERROR event or an unreadable line);
// `gone` when the error was 410 (the resourceVersion is compacted away: relist).
bool on_line(const Collection& c, std::string_view line, const WatchSink& sink, const Log& log,
             std::string& resource_version, bool& gone) {
  auto event = json::parse(line, nullptr, false);
  if (!event.is_object() || !event.contains("type") || !event["type"].is_string() || !event.contains("object")) {
    log("kube: watch of " + c.what + ": unreadable event; reconnecting");
    return false;
  }
  const auto type = event["type"].get<std::string>();
  auto& object = event["object"];
  if (type == "ERROR") {
    const int code = object.is_object() && object.contains("code") && object["code"].is_number_integer()
                         ? object["code"].get<int>() : 0;
    gone = code == 410;
    if (!gone) log("kube: watch of " + c.what + ": " + status_message(code, object.dump()));
    return false;
  }
  const std::string rv = resource_version_of(object);
  if (type == "ADDED" || type == "MODIFIED" || type == "DELETED") {
    sink.event(type, std::move(object));
  } else if (type != "BOOKMARK") {
    log("kube: watch of " + c.what + ": unknown event type " + type + " ignored");
  }
  if (!rv.empty()) resource_version = rv;
  return true;
}

}  // namespace

bool sleep_unless_stopped(const Client& client, std::chrono::milliseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (!client.stopped()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return true;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(until - now, std::chrono::milliseconds(50)));
  }
  return false;
}

std::string status_message(unsigned status, const std::string& body) {
  std::string msg;
  const auto j = json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("message") && j["message"].is_string()) msg = j["message"].get<std::string>();
  if (msg.empty()) msg = body.substr(0, 200);
  return "HTTP " + std::to_string(status) + (msg.empty() ? "" : ": " + msg);
}

ListStatus list_items(Client& client, const Collection& c, std::vector<json>& items, std::string& resource_version,
                      Error& error) {
  std::vector<json> found;
  std::string cont;
  resource_version.clear();
  do {
    Response r;
    const std::string target = with_selector(c, "limit=500" + (cont.empty() ? "" : "&continue=" + url_encode(cont)));
    if (!client.get(target, r, error)) {
      error.message = "list " + c.what + ": " + error.message;
      return ListStatus::Failed;
    }
    if (r.status == 404) return ListStatus::NotFound;
    if (r.status != 200) {
      error.message = "list " + c.what + ": " + status_message(r.status, r.body);
      if (r.status == 401 || r.status == 403) error.message += " (check the token and RBAC: get/list/watch)";
      return ListStatus::Failed;
    }
    auto page = json::parse(r.body, nullptr, false);
    if (!page.is_object() || !page.contains("items") || !(page["items"].is_array() || page["items"].is_null())) {
      error = {false, "list " + c.what + ": response is not a list"};
      return ListStatus::Failed;
    }
    const auto& md = page["metadata"];
    cont.clear();
    if (md.is_object()) {
      if (resource_version.empty() && md.contains("resourceVersion") && md["resourceVersion"].is_string())
        resource_version = md["resourceVersion"].get<std::string>();
      if (md.contains("continue") && md["continue"].is_string()) cont = md["continue"].get<std::string>();
    }
    if (page["items"].is_array())
      for (auto& item : page["items"]) found.push_back(std::move(item));
  } while (!cont.empty());
  items = std::move(found);
  return ListStatus::Ok;
}

ListStatus with_retries(const Client& client, const RetryPolicy& retry,
                        const std::function<ListStatus(Error&)>& attempt_once, Error& error) {
  auto backoff = retry.first;
  for (int attempt = 1;; ++attempt) {
    const auto st = attempt_once(error);
    if (st != ListStatus::Failed || !error.transient || attempt >= retry.attempts) {
      if (st == ListStatus::Failed && error.transient)
        error.message += " (gave up after " + std::to_string(attempt) + " attempts)";
      return st;
    }
    if (!sleep_unless_stopped(client, backoff)) return ListStatus::Failed;
    backoff = std::min(backoff * 2, retry.max);
  }
}

void watch_collection(Client& client, const Collection& c, std::string rv, const WatchOptions& options,
                      const WatchSink& sink, const Log& log) {
  auto backoff = options.reconnect_first;
  bool need_relist = false;
  while (!client.stopped()) {
    if (need_relist) {
      std::vector<json> items;
      Error err;
      const auto st = with_retries(client, options.retry,
                                   [&](Error& e) { return list_items(client, c, items, rv, e); }, err);
      if (st != ListStatus::Ok) {
        if (client.stopped()) return;
        log("kube: relist of " + c.what + " failed: " + err.message);
        if (!sleep_unless_stopped(client, backoff)) return;
        backoff = std::min(backoff * 2, options.reconnect_max);
        continue;
      }
      sink.relisted(std::move(items));
      need_relist = false;
    }
    const std::string target = with_selector(c, "watch=true&allowWatchBookmarks=true&resourceVersion=" +
                                                    url_encode(rv) + "&timeoutSeconds=" +
                                                    std::to_string(options.timeout_seconds));
    bool gone = false, any = false, broken = false;
    unsigned status = 0;
    std::string body;
    Error err;
    const bool ok = client.stream(target, status, body, [&](std::string_view line) {
      any = true;
      if (on_line(c, line, sink, log, rv, gone)) return true;
      broken = !gone;  // an ERROR event or an unreadable line: reconnect with backoff
      return false;
    }, err);
    if (client.stopped()) return;
    if (gone || (ok && status == 410)) {
      log("kube: watch of " + c.what + ": resourceVersion " + rv + " expired (410 Gone): relisting");
      need_relist = true;
      continue;
    }
    if (ok && status == 200 && any && !broken) {
      backoff = options.reconnect_first;  // the server ended a healthy watch: resume at once
      continue;
    }
    const std::string why = !ok               ? err.message
                            : broken            ? "error event"
                            : status == 200     ? "stream ended without events"
                                                : status_message(status, body);
    log("kube: watch of " + c.what + " from resourceVersion " + rv + ": " + why + "; reconnecting in " +
        std::to_string(backoff.count()) + " ms");
    if (!sleep_unless_stopped(client, backoff)) return;
    backoff = std::min(backoff * 2, options.reconnect_max);
  }
}

void Debouncer::changed() {
  {
    std::lock_guard lock(mu_);
    dirty_ = true;
    last_change_ = std::chrono::steady_clock::now();
  }
  cv_.notify_all();
}

void Debouncer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
}

void Debouncer::run(const std::function<void()>& flush) {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return dirty_ || stopping_; });
    if (stopping_) return;
    const auto first = std::chrono::steady_clock::now();
    while (!stopping_) {
      const auto deadline = std::min(last_change_ + quiet_, first + max_delay_);
      if (std::chrono::steady_clock::now() >= deadline) break;
      cv_.wait_until(lock, deadline);
    }
    if (stopping_) return;
    dirty_ = false;
    lock.unlock();
    flush();
    lock.lock();
  }
}

}  // namespace nfegress::kube
