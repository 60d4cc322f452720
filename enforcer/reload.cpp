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
  log_ << "nfegress enforce: reload (" << why << ") failed, keeping the current policy:\n";
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
    log_ << "nfegress enforce: incremental update failed (" << err->format() << "), replacing the table\n";
  }
  out.summary = {};
  out.summary.full_replace = true;
  return kernel_.send(netfilter::replace_batch(desired, kernel_.next_seq(), true));
}

ReloadOutcome Reloader::apply(const policy::LoadResult& input) { return apply_as(input, "apply"); }

ReloadOutcome Reloader::reload(const std::string& why) {
  if (!config_.load) {
    ReloadOutcome out;
    out.errors.push_back("no policy source configured");
    return fail(std::move(out), why);
  }
  return apply_as(config_.load(), why);
}

ReloadOutcome Reloader::apply_as(const policy::LoadResult& input, const std::string& why) {
  std::lock_guard lock(mu_);
  ReloadOutcome out;
  if (policy::has_errors(input.diagnostics)) {
    for (const auto& d : input.diagnostics)
      if (d.severity == policy::Severity::Error) out.errors.push_back(d.format());
    return fail(std::move(out), why);
  }
  auto plan = std::make_shared<const policy::Plan>(
      policy::compile(input.resources, config_.client_ns, config_.compile, config_.kernel));
  if (policy::has_errors(plan->diagnostics)) {
    for (const auto& d : plan->diagnostics)
      if (d.severity == policy::Severity::Error) out.errors.push_back(d.format());
    return fail(std::move(out), why);
  }
  netfilter::Ruleset desired = netfilter::build_ruleset(*plan, config_.queue);
  // Built before the kernel changes. The matcher refers to the plan: it owns a reference, so a runtime that keeps
  // only the matcher keeps the plan alive too.
  std::shared_ptr<const policy::Matcher> matcher(new policy::Matcher(*plan),
                                                 [plan](const policy::Matcher* m) { delete m; });
  if (auto err = program(desired, out)) {
    out.errors.push_back(err->format());
    return fail(std::move(out), why);
  }
  current_ = std::move(desired);
  plan_ = plan;
  matcher_ = matcher;
  out.applied = true;
  ready_ = true;
  if (metrics_) ++metrics_->reloads;
  log_ << "nfegress enforce: policy applied (" << why << "): " << plan->networks.size() << " EgressNetworks, "
       << (out.unchanged ? std::string("kernel unchanged") : describe(out.summary)) << "\n";
  log_.flush();
  if (handoff_) handoff_(std::move(plan), std::move(matcher));
  return out;
}

std::shared_ptr<const policy::Plan> Reloader::plan() const {
  std::lock_guard lock(mu_);
  return plan_;
}

std::shared_ptr<const policy::Matcher> Reloader::matcher() const {
  std::lock_guard lock(mu_);
  return matcher_;
}

}  // namespace nfegress::enforcer
