// init/node_pods.cpp — layer: command line. See node_pods.hpp.
#include "init/node_pods.hpp"

#include "init/kube/load.hpp"
#include "init/kube/node.hpp"
#include "init/kube/stream.hpp"
#include "init/kube/pod_watch.hpp"

namespace nfegress::cli {

bool read_node_pod_cidrs(const CommonOptions& o, const std::string& node, std::vector<policy::IpPrefix>& out,
                         std::string& found, std::string& error) {
  kube::SourceOptions so;
  so.kubeconfig = o.kubeconfig;
  const auto client = kube::connect(so, error);
  if (!client) return false;
  const std::string target = "/api/v1/nodes/" + kube::url_encode(node);
  kube::Response r;
  kube::Error e;
  const auto st = kube::with_retries(*client, so.retry, [&](kube::Error& err) {
    if (!client->get(target, r, err)) return kube::ListStatus::Failed;
    if (r.status == 200) return kube::ListStatus::Ok;
    err = {r.status >= 500 || r.status == 429, kube::status_message(r.status, r.body)};
    if (r.status == 401 || r.status == 403) err.message += " (check the token and RBAC: get on nodes)";
    return kube::ListStatus::Failed;
  }, e);
  if (st != kube::ListStatus::Ok) {
    error = "--deny-unknown node: cannot read Node " + node + " (GET " + target + "): " + e.message;
    return false;
  }
  const auto n = kube::node_pod_cidrs(nlohmann::json::parse(r.body, nullptr, false));
  if (!n.errors.empty()) {
    error = "--deny-unknown node: " + n.errors.front();
    return false;
  }
  if (n.cidrs.empty()) {
    error = "--deny-unknown node: Node " + node + " has no spec.podCIDRs or spec.podCIDR (its CNI allocates pod "
            "addresses itself, e.g. Calico IPAM): give this node's pod CIDR(s) as --deny-unknown CIDR instead";
    return false;
  }
  found = "Node " + node + ": " + n.field;
  for (std::size_t i = 0; i < n.cidrs.size(); ++i) found += (i ? ", " : " ") + policy::format_prefix(n.cidrs[i]);
  out.insert(out.end(), n.cidrs.begin(), n.cidrs.end());
  return true;
}

std::unique_ptr<PodWatch> PodWatch::start(const CommonOptions& o, const std::string& node,
                                          std::function<void(std::vector<policy::Client>)> changed,
                                          std::string& error) {
  kube::SourceOptions so;
  so.kubeconfig = o.kubeconfig;
  std::unique_ptr<PodWatch> w(new PodWatch());
  w->client_ = kube::connect(so, error);
  if (!w->client_) return nullptr;
  w->watcher_ = std::make_unique<kube::PodWatcher>(*w->client_, node, std::move(changed));
  if (!w->watcher_->list(error)) return nullptr;
  w->thread_ = std::thread([p = w.get()] { p->watcher_->watch(); });
  return w;
}

void PodWatch::stop() {
  if (watcher_) watcher_->stop();
  if (thread_.joinable()) thread_.join();
}

PodWatch::~PodWatch() { stop(); }

}  // namespace nfegress::cli
