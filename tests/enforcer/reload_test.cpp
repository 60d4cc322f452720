// tests/enforcer/reload_test.cpp — live reload against a fake kernel: the first policy replaces the table, a
// change sends only the differing elements, an invalid manifest keeps the old policy (kernel untouched, matcher
// not handed over, failure counted, error with FILE:LINE), a kernel error keeps the old policy too, and an
// incremental update the kernel rejects is retried as a full replace. The policy is compiled once (the runtime gets
// the Reloader's own plan and matcher), and a BackgroundReloader reads and compiles off the event loop and commits
// on it.
#include "enforcer/reload.hpp"

#include "enforcer/reload_background.hpp"
#include "reload_fixtures.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <future>
#include <sstream>
#include <thread>

namespace nfegress::enforcer {
namespace {

using testing::FakeKernel;
using testing::load;
using testing::manifest;

class ReloadTest : public ::testing::Test {
 protected:
  Reloader make() {
    ReloadConfig c;
    c.client_ns = "app";
    return Reloader(c, kernel, [this](std::shared_ptr<const CompiledPolicy> policy) {
      ++handoffs;
      last_policy = policy;
      last_plan = std::shared_ptr<const policy::Plan>(policy, &policy->plan);
    }, &metrics, log);
  }
  FakeKernel kernel;
  Metrics metrics;
  std::ostringstream log;
  int handoffs = 0;
  std::shared_ptr<const CompiledPolicy> last_policy;
  std::shared_ptr<const policy::Plan> last_plan;
};

bool only_elements_of(const std::vector<std::string>& objects, const std::string& set) {
  return !objects.empty() && std::all_of(objects.begin(), objects.end(), [&](const std::string& o) {
    return o.starts_with("add elements of set " + set + " ") || o.starts_with("delete elements of set " + set + " ");
  });
}

TEST_F(ReloadTest, FirstPolicyReplacesTheTableThenOnlyDifferencesAreSent) {
  Reloader r = make();
  EXPECT_FALSE(r.ready());
  auto first = r.apply(load(manifest("203.0.113.0/25")));
  ASSERT_TRUE(first.applied) << log.str();
  EXPECT_TRUE(first.summary.full_replace);
  EXPECT_TRUE(r.ready());
  ASSERT_EQ(kernel.sent.size(), 1u);
  EXPECT_EQ(kernel.sent[0].objects.front(), "create table inet nfegress");
  EXPECT_EQ(handoffs, 1);
  ASSERT_TRUE(last_plan);
  EXPECT_EQ(last_plan->networks.size(), 1u);

  // The network grows: one dst4 element out, one in; nothing else.
  auto second = r.apply(load(manifest("203.0.113.0/24")));
  ASSERT_TRUE(second.applied) << log.str();
  EXPECT_FALSE(second.summary.full_replace);
  EXPECT_EQ(second.summary.elements_added, 1u);
  EXPECT_EQ(second.summary.elements_removed, 1u);
  EXPECT_EQ(second.summary.chains_rewritten, 0u);
  ASSERT_EQ(kernel.sent.size(), 2u);
  EXPECT_TRUE(only_elements_of(kernel.sent[1].objects, "dst4")) << ::testing::PrintToString(kernel.sent[1].objects);
  EXPECT_TRUE(kernel.sent[1].commit);
  EXPECT_EQ(handoffs, 2);
  EXPECT_EQ(metrics.reloads.load(), 2u);

  // The same input again: nothing to send, still applied.
  auto third = r.apply(load(manifest("203.0.113.0/24")));
  EXPECT_TRUE(third.applied);
  EXPECT_TRUE(third.unchanged);
  EXPECT_EQ(kernel.sent.size(), 2u);
}

TEST_F(ReloadTest, InvalidManifestKeepsTheOldPolicy) {
  Reloader r = make();
  ASSERT_TRUE(r.apply(load(manifest("203.0.113.0/25"))).applied);
  const auto plan_before = r.plan();
  const auto matcher_before = r.matcher();

  auto bad = r.apply(load(manifest("203.0.113.0/33")));
  EXPECT_FALSE(bad.applied);
  ASSERT_FALSE(bad.errors.empty());
  EXPECT_NE(bad.errors.front().find("policy.yaml:7:"), std::string::npos) << bad.errors.front();
  EXPECT_EQ(kernel.sent.size(), 1u);  // the kernel was not touched
  EXPECT_EQ(handoffs, 1);            // nor the runtime
  EXPECT_EQ(r.plan(), plan_before);
  EXPECT_EQ(r.matcher(), matcher_before);
  EXPECT_EQ(metrics.reload_failures.load(), 1u);
  EXPECT_TRUE(r.ready());
  EXPECT_NE(log.str().find("keeping the current policy"), std::string::npos);
  EXPECT_NE(log.str().find("policy.yaml:7:"), std::string::npos) << log.str();

  // A later valid version is applied, as a difference from the policy that was kept.
  auto good = r.apply(load(manifest("203.0.113.0/24")));
  ASSERT_TRUE(good.applied);
  EXPECT_TRUE(only_elements_of(kernel.sent.back().objects, "dst4"));
}

TEST_F(ReloadTest, KernelErrorKeepsTheOldPolicy) {
  Reloader r = make();
  kernel.fail_next = 1;
  auto first = r.apply(load(manifest("203.0.113.0/25")));
  EXPECT_FALSE(first.applied);
  EXPECT_FALSE(r.ready());
  EXPECT_EQ(handoffs, 0);
  EXPECT_EQ(metrics.reload_failures.load(), 1u);
  ASSERT_FALSE(first.errors.empty());
  EXPECT_NE(first.errors.front().find("create table inet nfegress"), std::string::npos) << first.errors.front();
}

TEST_F(ReloadTest, RejectedUpdateIsRetriedAsAFullReplace) {
  Reloader r = make();
  ASSERT_TRUE(r.apply(load(manifest("203.0.113.0/25"))).applied);
  kernel.fail_next = 1;  // e.g. someone deleted the table: the element delete fails with ENOENT
  auto out = r.apply(load(manifest("203.0.113.0/24")));
  ASSERT_TRUE(out.applied) << log.str();
  EXPECT_TRUE(out.summary.full_replace);
  ASSERT_EQ(kernel.sent.size(), 3u);
  EXPECT_EQ(kernel.sent[2].objects.front(), "create table inet nfegress");
  EXPECT_EQ(handoffs, 2);
}

TEST_F(ReloadTest, ReloadReadsThroughTheConfiguredLoader) {
  std::string yaml = manifest("203.0.113.0/25");
  ReloadConfig c;
  c.client_ns = "app";
  c.load = [&yaml] { return load(yaml); };
  Reloader r(c, kernel, nullptr, &metrics, log);
  ASSERT_TRUE(r.reload("start").applied);
  yaml = manifest("203.0.113.0/25", "Allow");
  auto out = r.reload("SIGHUP");
  ASSERT_TRUE(out.applied);
  EXPECT_FALSE(out.summary.full_replace);
  EXPECT_NE(log.str().find("policy applied (SIGHUP)"), std::string::npos) << log.str();
  ASSERT_TRUE(r.matcher());
  auto d = r.matcher()->decide_l4(*policy::parse_ip("203.0.113.1"), 80, policy::Proto::Tcp);
  EXPECT_EQ(d.kind, policy::DecisionKind::Allow);
}

TEST_F(ReloadTest, CompiledOnceTheRuntimeGetsTheReloadersPlanAndMatcher) {
  Reloader r = make();
  ASSERT_TRUE(r.apply(load(manifest("203.0.113.0/25"))).applied);
  ASSERT_TRUE(last_policy);
  EXPECT_EQ(last_policy, r.policy());
  EXPECT_EQ(&last_policy->plan, r.plan().get());
  EXPECT_EQ(&last_policy->matcher, r.matcher().get());
  EXPECT_EQ(&last_policy->matcher.plan(), &last_policy->plan);
}

class BackgroundReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config.client_ns = "app";
    config.load = [this] {
      ++loads;
      load_thread = std::this_thread::get_id();
      if (gate) gate_opened = gate->wait_for(std::chrono::seconds(5)) == std::future_status::ready;
      return load(manifest("203.0.113.0/25"));
    };
  }
  FakeKernel kernel;
  Metrics metrics;
  std::ostringstream log;
  ReloadConfig config;
  boost::asio::io_context io;
  std::atomic<int> loads{0};
  std::thread::id load_thread, handoff_thread;
  std::optional<std::shared_future<void>> gate;  // the loader waits for it (up to 5 s)
  std::atomic<bool> gate_opened{false};
};

TEST_F(BackgroundReloadTest, CompilesOffTheEventLoopAndCommitsOnIt) {
  std::promise<void> loop_ran;
  gate = loop_ran.get_future().share();
  Reloader r(config, kernel, [this](auto) { handoff_thread = std::this_thread::get_id(); }, &metrics, log);
  BackgroundReloader bg(io, r);
  int commits = 0;
  bg.on_committed([&](const ReloadOutcome& out) {
    EXPECT_TRUE(out.applied) << log.str();
    ++commits;
    io.stop();
  });
  bg.reload("SIGHUP");
  // The loader is held until the event loop has run this handler: only possible if the loop is not the thread
  // that loads and compiles.
  boost::asio::post(io, [&] { loop_ran.set_value(); });
  auto guard = boost::asio::make_work_guard(io);
  io.run_for(std::chrono::seconds(20));
  EXPECT_TRUE(gate_opened);
  EXPECT_EQ(commits, 1);
  EXPECT_NE(load_thread, std::this_thread::get_id());
  EXPECT_EQ(kernel.send_thread, std::this_thread::get_id());  // the kernel half on the loop...
  EXPECT_EQ(handoff_thread, std::this_thread::get_id());      // ...right before the runtime half
  EXPECT_TRUE(r.ready());
  EXPECT_NE(log.str().find("policy applied (SIGHUP)"), std::string::npos) << log.str();
}

TEST_F(BackgroundReloadTest, RequestsQueuedBehindARunningOneCollapseToTheNewest) {
  std::promise<void> release;
  gate = release.get_future().share();
  Reloader r(config, kernel, nullptr, &metrics, log);
  BackgroundReloader bg(io, r);
  int commits = 0;
  bg.on_committed([&](const ReloadOutcome&) {
    if (++commits == 2) io.stop();
  });
  bg.reload("first");
  for (int i = 0; i < 500 && loads.load() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(loads.load(), 1);  // the first request is loading (held by the gate)
  bg.reload("second");         // superseded before it starts
  bg.reload("third");
  release.set_value();
  auto guard = boost::asio::make_work_guard(io);
  io.run_for(std::chrono::seconds(20));
  EXPECT_EQ(commits, 2);
  EXPECT_EQ(loads.load(), 2);
  EXPECT_NE(log.str().find("policy applied (third)"), std::string::npos) << log.str();
  EXPECT_EQ(log.str().find("(second)"), std::string::npos) << log.str();
}

}  // namespace
}  // namespace nfegress::enforcer
