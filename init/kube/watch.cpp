// init/kube/watch.cpp — layer: I/O (Kubernetes API watch). See watch.hpp. One thread per watch stream (a
// handful: resource types x namespaces); the calling thread debounces and calls back.
#include "init/kube/watch.hpp"

#include <iostream>

namespace nfegress::kube {

using nlohmann::json;

Watcher::Watcher(Client& client, std::vector<std::string> namespaces, policy::LoadOptions load, Callback callback,
                 WatchOptions options)
    : client_(client),
      namespaces_(std::move(namespaces)),
      load_(std::move(load)),
      callback_(std::move(callback)),
      options_(std::move(options)),
      debouncer_(options_.debounce, options_.max_delay) {}

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
  debouncer_.stop();
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
  for (std::size_t i = 0; i < snapshot_.scopes.size(); ++i) {
    threads_.emplace_back([this, i] {
      const WatchSink sink{[this, i](const std::string& type, json object) { on_event(i, type, std::move(object)); },
                           [this, i](std::vector<json> items) { on_relist(i, std::move(items)); }};
      watch_collection(client_, collection_of(snapshot_.scopes[i]), snapshot_.resource_versions[i], options_, sink,
                       [this](const std::string& s) { log(s); });
    });
  }
  debouncer_.run([this] {
    ObjectMap copy;
    {
      std::lock_guard lock(mu_);
      copy = snapshot_.objects;
    }
    callback_(to_load_result(copy, load_));
  });
  client_.stop();  // stop() was called: make sure every stream ends
  for (auto& t : threads_) t.join();
  threads_.clear();
  return true;
}

void Watcher::on_event(std::size_t index, const std::string& type, json object) {
  const Scope& scope = snapshot_.scopes[index];
  bool did_change = false;
  {
    std::lock_guard lock(mu_);
    auto& objects = snapshot_.objects;
    const auto key = key_of(scope, object);
    if (type == "DELETED") {
      did_change = objects.erase(key) > 0;
    } else {
      const auto before = objects.find(key);
      const json old = before == objects.end() ? json() : before->second;
      did_change = put_object(objects, scope, std::move(object)) && objects[key] != old;
    }
  }
  if (did_change) debouncer_.changed();
}

void Watcher::on_relist(std::size_t index, std::vector<json> items) {
  const Scope& scope = snapshot_.scopes[index];
  ObjectMap found;
  for (auto& item : items) put_object(found, scope, std::move(item));
  bool did_change = false;
  {
    std::lock_guard lock(mu_);
    ++relists_;
    did_change = replace_scope(snapshot_.objects, scope, std::move(found));
  }
  if (did_change) debouncer_.changed();
}

}  // namespace nfegress::kube
