// tests/kube/kube_probe.cpp — test driver for init/kube: `kube_probe list|watch|follow KUBECONFIG NS...` (NS `*`:
// every namespace, cluster-wide, as node mode reads them) prints each LoadResult as one JSON line (resources by
// name, error texts) so the Python tests can drive the fake API server and check what the client saw. `watch` runs a kube::Watcher until stdin closes. `kube_probe pods KUBECONFIG NODE`
// runs a kube::PodWatcher under a kube::Follower and prints each client list ({"clients": ["CIDR=NS"...]}).
// Not installed.
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "init/kube/follow.hpp"
#include "init/kube/load.hpp"
#include "init/kube/pod_watch.hpp"
#include "init/kube/watch.hpp"

namespace {

using namespace nfegress;

void print(const policy::LoadResult& r) {
  nlohmann::json j = {{"networks", nlohmann::json::array()}, {"routes", nlohmann::json::array()},
                      {"errors", nlohmann::json::array()}, {"files", r.files}};
  for (const auto& n : r.resources.networks) j["networks"].push_back(n.meta.ns + "/" + n.meta.name);
  for (const auto& rt : r.resources.routes)
    j["routes"].push_back(std::string(policy::route_kind_name(rt.kind)) + " " + rt.meta.ns + "/" + rt.meta.name +
                          " " + rt.api_group + "/" + rt.api_version);
  for (const auto& d : r.diagnostics)
    if (d.severity == policy::Severity::Error) j["errors"].push_back(d.format());
  std::cout << j.dump() << std::endl;
}

void print_clients(const std::vector<policy::Client>& clients) {
  nlohmann::json j = {{"clients", nlohmann::json::array()}};
  for (const auto& x : clients) j["clients"].push_back(policy::format_prefix(x.prefix) + "=" + x.ns);
  std::cout << j.dump() << std::endl;
}

kube::RetryPolicy fast_retry() {
  kube::RetryPolicy r;
  r.attempts = 3;
  r.first = std::chrono::milliseconds(100);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: kube_probe list|watch|follow KUBECONFIG NS... | kube_probe pods KUBECONFIG NODE\n";
    return 2;
  }
  const std::string mode = argv[1];
  kube::SourceOptions so;
  so.kubeconfig = argv[2];
  for (int i = 3; i < argc; ++i) so.namespaces.push_back(argv[i]);
  so.all_namespaces = so.namespaces == std::vector<std::string>{"*"};  // node mode: cluster-wide lists and watches
  if (so.all_namespaces) so.namespaces.clear();
  so.retry = fast_retry();
  so.timeouts.connect = so.timeouts.request = std::chrono::milliseconds(3000);
  if (mode == "list") {
    const auto r = kube::load_once(so, {});
    print(r);
    return policy::has_errors(r.diagnostics) ? 1 : 0;
  }
  kube::WatchOptions wo;
  wo.retry = so.retry;
  wo.reconnect_first = std::chrono::milliseconds(100);
  wo.reconnect_max = std::chrono::milliseconds(400);
  if (mode == "pods") {  // argv[3] is the node name
    kube::Follower f(so, [node = std::string(argv[3])](kube::Client& c, const kube::WatchOptions& o) {
      return std::make_unique<kube::PodWatcher>(c, node, print_clients, o);
    }, wo);
    f.start();
    std::string line;
    while (std::getline(std::cin, line)) {
    }
    f.stop();
    return 0;
  }
  if (mode == "follow") {  // kube::Follower: keeps trying while the API is down
    kube::Follower f(so, {}, print, wo);
    f.start();
    std::string line;
    while (std::getline(std::cin, line)) {
    }
    f.stop();
    return 0;
  }
  std::string error;
  auto client = kube::connect(so, error);
  if (!client) {
    std::cerr << error << "\n";
    return 1;
  }
  kube::Watcher w(*client, kube::scope_namespaces(so), {}, print, wo);
  std::thread eof([&w] {
    std::string line;
    while (std::getline(std::cin, line)) {
    }
    w.stop();
  });
  const bool ok = w.run(error);
  if (!ok) std::cerr << error << "\n";
  w.stop();
  eof.join();
  return ok ? 0 : 1;
}
