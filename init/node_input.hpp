// init/node_input.hpp — layer: command line. Node and gateway mode's policy input: the manifest files (their
// changes come through the Operations file watch and load()), or with --source kube the policy of EVERY namespace
// from the Kubernetes API (one cluster-wide list and watch per kind, kube::Follower; init/source.hpp). It keeps the
// last VALID version, which a pod change re-applies with the new clients; an invalid version is handed on only to
// be refused (the Reloader logs its errors, naming the object, and keeps the programmed policy), never kept.
// No policy logic; no kernel.
#pragma once
#include <functional>
#include <iosfwd>
#include <memory>

#include "init/cli.hpp"
#include "init/kube/follow.hpp"
#include "init/node_clients.hpp"
#include "policy/load.hpp"

namespace nfegress::cli {

class NodeInput {
 public:
  using Version = std::shared_ptr<const policy::LoadResult>;

  // The first version, read before anything is programmed: the files, or (--source kube) the follower's first
  // list, which it delivers only once every kind was listed completely in every namespace. nullptr when it could
  // not be read or is invalid (the diagnostics and the reason are printed to `err`). With --source kube, `changed`
  // then hears every later version, valid or not (on the follower's thread; last() is already updated).
  static std::unique_ptr<NodeInput> start(const CommonOptions& o, const char* command,
                                          std::function<void(Version)> changed, std::ostream& err);
  ~NodeInput();
  NodeInput(const NodeInput&) = delete;
  NodeInput& operator=(const NodeInput&) = delete;

  Version last() const { return last_->get(); }
  // For ReloadConfig::load (SIGHUP, a file change): reads the input again; a valid result becomes last().
  std::function<policy::LoadResult()> loader() const;
  void stop();  // the follower (--source kube); idempotent

 private:
  NodeInput() = default;
  CommonOptions o_;
  std::shared_ptr<Guarded<Version>> last_ = std::make_shared<Guarded<Version>>();
  std::unique_ptr<kube::Follower> follow_;
};

}  // namespace nfegress::cli
