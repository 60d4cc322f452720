// tests/netfilter/program_test.cpp — the queue fallback line (netfilter/queue_choice.cpp) (export without a usable probe):
// the socket's error only when the socket did not open; no empty "()" when the probe itself failed. The egress
// guard's choice where it needs no kernel: --no-egress-guard, and the options it fills in.
#include <gtest/gtest.h>

#include <cerrno>
#include <sstream>

#include "init/program.hpp"
#include "netfilter/queue_choice.hpp"

namespace nfegress::cli {
namespace {

TEST(QueueFallback, SocketErrorIsNamed) {
  netfilter::KernelError e;
  e.err = EPERM;
  e.object = "socket";
  const auto line = netfilter::queue_fallback_line(&e);
  EXPECT_NE(line.find("cannot probe this kernel (socket: Operation not permitted)"), std::string::npos) << line;
  EXPECT_NE(line.find("assuming xt NFQUEUE"), std::string::npos) << line;
}

TEST(QueueFallback, FailedProbeDoesNotRepeatAnEmptyError) {
  const auto line = netfilter::queue_fallback_line(nullptr);
  EXPECT_EQ(line.find("()"), std::string::npos) << line;
  EXPECT_EQ(line.find("Success"), std::string::npos) << line;
  EXPECT_NE(line.find("the probe failed; assuming xt NFQUEUE via nft_compat"), std::string::npos) << line;
}

TEST(QueueChoice, ExplicitImplNeedsNoProbe) {
  using Q = policy::KernelOptions::Queue;
  EXPECT_FALSE(netfilter::queue_needs_probe(Q::Native));
  EXPECT_FALSE(netfilter::queue_needs_probe(Q::Compat));
  EXPECT_TRUE(netfilter::queue_needs_probe(Q::Auto));
  const auto n = netfilter::decide_queue(Q::Native, nullptr);
  EXPECT_EQ(n.impl, netfilter::QueueImpl::Native);
  EXPECT_NE(n.line.find("--queue-impl native"), std::string::npos) << n.line;
  EXPECT_EQ(netfilter::decide_queue(Q::Compat, nullptr).impl, netfilter::QueueImpl::Compat);
}

TEST(QueueChoice, AutoTakesWhatTheProbeFound) {
  using Q = policy::KernelOptions::Queue;
  EXPECT_FALSE(netfilter::decide_queue(Q::Auto, nullptr).impl);  // not probed: no choice
  netfilter::QueueProbe p;
  p.impl = netfilter::QueueImpl::Compat;
  p.line = "queue: xt NFQUEUE via nft_compat (probed)";
  const auto c = netfilter::decide_queue(Q::Auto, &p);
  EXPECT_EQ(c.impl, netfilter::QueueImpl::Compat);
  EXPECT_EQ(c.line, p.line);
  netfilter::QueueProbe failed;
  failed.error.err = EPERM;
  failed.error.object = "probe";
  const auto f = netfilter::decide_queue(Q::Auto, &failed);
  EXPECT_FALSE(f.impl);
  EXPECT_NE(f.line.find("Operation not permitted"), std::string::npos) << f.line;
}

TEST(GuardChoice, NoEgressGuardListsNothingAndSaysSo) {
  policy::KernelOptions k;
  k.egress_guard = false;
  std::ostringstream log;
  const auto g = choose_guard(k, nullptr, log);
  EXPECT_TRUE(g.devices.empty());
  EXPECT_EQ(g.off, "--no-egress-guard");
  EXPECT_NE(log.str().find("egress guard: off (--no-egress-guard)"), std::string::npos) << log.str();
  g.apply(k);
  ASSERT_TRUE(k.guard_devices);  // managed (the table is removed), not left alone
  EXPECT_TRUE(k.guard_devices->empty());
}

TEST(GuardChoice, WithoutASocketTheInterfacesAreAssumedGuardable) {
  policy::KernelOptions k;  // export without privileges: shown as init would program it
  std::ostringstream log;
  const auto g = choose_guard(k, nullptr, log);
  EXPECT_TRUE(log.str().empty()) << log.str();
  for (const auto& d : g.devices) EXPECT_NE(d, "lo");
  EXPECT_EQ(g.devices.empty(), !g.off.empty());
}

}  // namespace
}  // namespace nfegress::cli
