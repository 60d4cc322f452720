// tests/netfilter/program_test.cpp — init/program.cpp's queue fallback line (export without a usable probe):
// the socket's error only when the socket did not open; no empty "()" when the probe itself failed. The egress
// guard's choice where it needs no kernel: --no-egress-guard, and the options it fills in.
#include <gtest/gtest.h>

#include <cerrno>
#include <sstream>

#include "init/program.hpp"

namespace nfegress::cli {
namespace {

TEST(QueueFallback, SocketErrorIsNamed) {
  netfilter::KernelError e;
  e.err = EPERM;
  e.object = "socket";
  const auto line = queue_fallback_line(&e);
  EXPECT_NE(line.find("cannot probe this kernel (socket: Operation not permitted)"), std::string::npos) << line;
  EXPECT_NE(line.find("assuming xt NFQUEUE"), std::string::npos) << line;
}

TEST(QueueFallback, FailedProbeDoesNotRepeatAnEmptyError) {
  const auto line = queue_fallback_line(nullptr);
  EXPECT_EQ(line.find("()"), std::string::npos) << line;
  EXPECT_EQ(line.find("Success"), std::string::npos) << line;
  EXPECT_NE(line.find("the probe failed; assuming xt NFQUEUE via nft_compat"), std::string::npos) << line;
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
