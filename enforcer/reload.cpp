// enforcer/reload.cpp — layer: operations. See reload.hpp.
#include "enforcer/reload.hpp"

#include <ostream>

#include "policy/compile.hpp"

namespace nfegress::enforcer {

std::optional<netfilter::KernelError> WriterSink::send(const netfilter::Batch& b) {
  auto err = w_.send(b);
  w_.advance(b);  // sequence numbers are never reused, whatever the outcome
  return err;
}

namespace {

std::string describe(const netfilter::UpdateSummary& s) {
  if (s.full_replace) return "table replaced";
  return "+" + std::to_string(s.elements_added) + "/-" + std::to_string(s.elements_removed) + " elements, +" +
         std::to_string(s.sets_added) + "/-" + std::to_string(s.sets_removed) + " sets, +" +
         std::to_string(s.chains_added) + "/-" + std::to_string(s.chains_removed) + " chains, " +
         std::to_string(s.chains_rewritten) + " chains rewritten";
}

}  // namespace

Reloader::Reloader(ReloadConfig config, KernelSink& kernel, PolicyHandoff handoff, Metrics* metrics,
                   std::ostream& log)
    : config_(std::move(config)), kernel_(kernel), handoff_(std::move(handoff)), metrics_(metrics), log_(log) {}

ReloadOutcome Reloader::fail(ReloadOutcome out, const std::string& why) {
  if (metrics_) ++metrics_->reload_failures;
  log_ << "nfegress " << config_.command << ": reload (" << why << ") failed, keeping the current policy:\n";
  for (const auto& e : out.errors) log_ << "  " << e << "\n";
  log_.flush();
  return out;
}

std::optional<netfilter::KernelError> Reloader::program(const netfilter::Ruleset& desired, ReloadOutcome& out) {
  if (current_) {
    netfilter::Batch b = netfilter::update_batch(*current_, desired, kernel_.next_seq(), true, &out.summary);
    if (out.summary.empty()) {
      out.unchanged = true;
      return std::nullopt;
    }
    auto err = kernel_.send(b);
    if (!err) return std::nullopt;
    // The table differs from what we programmed (changed or removed behind our back): converge with a full
    // replace, which does not depend on what is there.
    log_ << "nfegress " << config_.command << ": incremental update failed (" << err->format()
         << "), replacing the table\n";
  }
  out.summary = {};
  out.summary.full_replace = true;
  return kernel_.send(netfilter::replace_batch(desired, kernel_.next_seq(), true));
}

PreparedPolicy prepare_policy(const ReloadConfig& config, const policy::LoadResult& input) {
  if (config.clients) return prepare_node_policy(config, input);
  PreparedPolicy out;
  auto errors_of = [&out](const std::vector<policy::Diagnostic>& ds) {
    for (const auto& d : ds)
      if (d.severity == policy::Severity::Error) out.errors.push_back(d.format());
  };
  if (policy::has_errors(input.diagnostics)) {
    errors_of(input.diagnostics);
    return out;
  }
  auto plan = policy::compile(input.resources, config.client_ns, config.compile, config.kernel);
  if (policy::has_errors(plan.diagnostics)) {
    errors_of(plan.diagnostics);
    return out;
  }
  // The plan and its matcher, built once: the runtime gets this very object.
  out.policy = std::make_shared<const CompiledPolicy>(std::move(plan));
  out.desired = netfilter::build_ruleset(out.policy->plan, config.queue);
  return out;
}

PreparedPolicy Reloader::load_and_prepare() const {
  if (!config_.load) {
    PreparedPolicy out;
    out.errors.push_back("no policy source configured");
    return out;
  }
  return prepare_policy(config_, config_.load());
}

ReloadOutcome Reloader::commit(PreparedPolicy prepared, const std::string& why) {
  std::lock_guard lock(mu_);
  ReloadOutcome out;
  if (!prepared.errors.empty() || !prepared.policy || !prepared.desired) {
    out.errors = std::move(prepared.errors);
    if (out.errors.empty()) out.errors.push_back("nothing compiled");
    return fail(std::move(out), why);
  }
  if (auto err = program(*prepared.desired, out)) {
    out.errors.push_back(err->format());
    return fail(std::move(out), why);
  }
  current_ = std::move(prepared.desired);
  policy_ = prepared.policy;
  out.applied = true;
  ready_ = true;
  if (metrics_) ++metrics_->reloads;
  log_ << "nfegress " << config_.command << ": policy applied (" << why << "): ";
  if (prepared.clients)
    log_ << prepared.clients->by_plan.size() << " plans for " << prepared.clients->clients.size() << " clients, ";
  else
    log_ << policy_->plan.networks.size() << " EgressNetworks, ";
  log_ << (out.unchanged ? std::string("kernel unchanged") : describe(out.summary)) << "\n";
  log_.flush();
  if (prepared.clients && clients_handoff_) clients_handoff_(std::move(prepared.clients));
  if (handoff_) handoff_(std::move(prepared.policy));
  return out;
}

std::shared_ptr<const CompiledPolicy> Reloader::policy() const {
  std::lock_guard lock(mu_);
  return policy_;
}

std::shared_ptr<const policy::Plan> Reloader::plan() const {
  std::lock_guard lock(mu_);
  if (!policy_) return nullptr;
  return std::shared_ptr<const policy::Plan>(policy_, &policy_->plan);
}

std::shared_ptr<const policy::Matcher> Reloader::matcher() const {
  std::lock_guard lock(mu_);
  if (!policy_) return nullptr;
  return std::shared_ptr<const policy::Matcher>(policy_, &policy_->matcher);
}

}  // namespace nfegress::enforcer
