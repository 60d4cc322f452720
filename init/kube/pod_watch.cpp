// init/kube/pod_watch.cpp — layer: I/O. See pod_watch.hpp.
#include "init/kube/pod_watch.hpp"

#include <iostream>

namespace nfegress::kube {

PodWatcher::PodWatcher(Client& client, std::string node, Callback callback, Log log)
    : client_(client), selector_("fieldSelector=" + url_encode("spec.nodeName=" + node)),
      callback_(std::move(callback)), log_(std::move(log)) {
  if (!log_) log_ = [](const std::string& l) { std::cerr << l << "\n"; };
}

void PodWatcher::stop() {
  stop_ = true;
  client_.stop();
}

void PodWatcher::publish() {
  std::vector<std::string> conflicts;
  auto clients = pod_clients(pods_, &conflicts);
  for (const auto& c : conflicts) log_("nfegress node: " + c);
  if (clients == last_) return;
  last_ = clients;
  callback_(std::move(clients));
}

// One page of the list; false with `error` set (and `transient`) on failure.
bool PodWatcher::list_page(const std::string& cont, PodMap& pods, std::string& next, std::string& error,
                           bool& transient) {
  Response r;
  Error e;
  const std::string target = "/api/v1/pods?" + selector_ + "&limit=500" + (cont.empty() ? "" : "&continue=" + url_encode(cont));
  if (!client_.get(target, r, e) || r.status != 200) {
    transient = r.status == 0 ? e.transient : (r.status >= 500 || r.status == 429);
    error = "listing pods (" + selector_ + "): " + (r.status ? status_message(r.status, r.body) : e.message);
    return false;
  }
  const auto body = nlohmann::json::parse(r.body, nullptr, false);
  if (body.is_discarded() || !body.contains("items") || !body["items"].is_array()) {
    transient = false;
    error = "listing pods: the answer is not a PodList";
    return false;
  }
  for (const auto& item : body["items"])
    if (auto p = parse_pod(item)) pods[pod_key(*p)] = std::move(*p);
  rv_ = body.value("/metadata/resourceVersion"_json_pointer, std::string());
  next = body.value("/metadata/continue"_json_pointer, std::string());
  return true;
}

bool PodWatcher::relist(std::string& error) {
  const RetryPolicy retry;
  auto delay = retry.first;
  for (int attempt = 1;; ++attempt) {
    PodMap pods;
    std::string cont;
    bool transient = false, ok = true;
    do {
      std::string next;
      ok = list_page(cont, pods, next, error, transient);
      cont = next;
    } while (ok && !cont.empty());
    if (ok) {
      pods_ = std::move(pods);
      publish();
      return true;
    }
    if (!transient || attempt >= retry.attempts || !sleep_unless_stopped(client_, delay)) return false;
    delay = std::min(delay * 2, retry.max);
  }
}

bool PodWatcher::list(std::string& error) { return relist(error); }

bool PodWatcher::on_line(std::string_view line, bool& gone) {
  const auto ev = nlohmann::json::parse(line, nullptr, false);
  if (ev.is_discarded() || !ev.is_object()) return true;  // a line we cannot read: skip it
  const std::string type = ev.value("type", "");
  const auto& obj = ev.contains("object") ? ev["object"] : nlohmann::json();
  if (type == "ERROR") {
    gone = obj.is_object() && obj.value("code", 0) == 410;
    if (!gone) log_("nfegress node: pod watch error: " + obj.dump());
    return false;
  }
  if (obj.is_object())
    if (auto rv = obj.value("/metadata/resourceVersion"_json_pointer, std::string()); !rv.empty()) rv_ = rv;
  if (type == "BOOKMARK") return true;
  auto p = parse_pod(obj);
  if (!p) return true;
  if (type == "DELETED") pods_.erase(pod_key(*p));
  else pods_[pod_key(*p)] = std::move(*p);
  publish();
  return true;
}

void PodWatcher::watch() {
  auto backoff = std::chrono::milliseconds(250);
  while (!stop_) {
    bool gone = false;
    unsigned status = 0;
    std::string body;
    Error e;
    const std::string target = "/api/v1/pods?" + selector_ + "&watch=true&allowWatchBookmarks=true&timeoutSeconds=290" +
                               "&resourceVersion=" + url_encode(rv_);
    const bool ok = client_.stream(target, status, body, [&](std::string_view l) { return on_line(l, gone); }, e);
    if (stop_) return;
    if (gone || status == 410) {
      std::string err;
      if (!relist(err)) log_("nfegress node: relisting pods: " + err);
      continue;
    }
    if (ok && status == 200) {
      backoff = std::chrono::milliseconds(250);
      continue;  // the server ended the watch (timeoutSeconds): resume from the last resourceVersion
    }
    log_("nfegress node: pod watch: " + (status ? status_message(status, body) : e.message) + "; retrying");
    if (!sleep_unless_stopped(client_, backoff)) return;
    backoff = std::min(backoff * 2, std::chrono::milliseconds(8000));
  }
}

}  // namespace nfegress::kube
