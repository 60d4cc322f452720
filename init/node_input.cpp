// init/node_input.cpp — layer: command line. See node_input.hpp.
#include "init/node_input.hpp"

#include <ostream>

#include "init/first_input.hpp"
#include "init/source.hpp"

namespace nfegress::cli {

std::unique_ptr<NodeInput> NodeInput::start(const CommonOptions& o, const char* command,
                                            std::function<void(Version)> changed, std::ostream& err) {
  std::unique_ptr<NodeInput> in(new NodeInput());
  in->o_ = o;
  if (o.source != "kube") {
    auto r = load_valid(o, command, err);
    if (!r) return nullptr;
    in->last_->set(std::make_shared<const policy::LoadResult>(std::move(*r)));
    return in;
  }
  // The follower's first callback comes after a complete list of every kind (kube::Watcher::run): until then
  // nothing is programmed, so no pod is ever enforced with a partial policy.
  auto first = std::make_shared<FirstInput>();
  in->follow_ = follow_input(
      o,
      [first, last = in->last_, changed = std::move(changed)](policy::LoadResult r) {
        if (first->offer(r)) return;
        const bool valid = !policy::has_errors(r.diagnostics);
        auto version = std::make_shared<const policy::LoadResult>(std::move(r));
        if (valid) last->set(version);
        if (changed) changed(std::move(version));
      },
      [first](const std::string& error) { first->fail(error); });
  auto got = first->wait();
  if (!got) {
    err << "nfegress " << command << ": cannot read the policy from the Kubernetes API: " << first->error()
        << "; not starting\n";
    return nullptr;
  }
  for (const auto& d : got->diagnostics) err << d.format() << "\n";
  if (policy::has_errors(got->diagnostics)) {
    err << "nfegress " << command << ": the policy read from the Kubernetes API is invalid; nothing was done\n";
    return nullptr;
  }
  in->last_->set(std::make_shared<const policy::LoadResult>(std::move(*got)));
  return in;
}

NodeInput::~NodeInput() { stop(); }

void NodeInput::stop() {
  if (follow_) follow_->stop();
}

std::function<policy::LoadResult()> NodeInput::loader() const {
  return [o = o_, last = last_] {
    auto r = load_input(o);
    if (!policy::has_errors(r.diagnostics)) last->set(std::make_shared<const policy::LoadResult>(r));
    return r;
  };
}

}  // namespace nfegress::cli
