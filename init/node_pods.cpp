// init/node_pods.cpp — layer: command line. See node_pods.hpp.
#include "init/node_pods.hpp"

#include "init/kube/load.hpp"
#include "init/kube/pod_watch.hpp"

namespace nfegress::cli {

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
