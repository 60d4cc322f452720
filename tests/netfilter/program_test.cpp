// tests/netfilter/program_test.cpp — init/program.cpp's queue fallback line (export without a usable probe):
// the socket's error only when the socket did not open; no empty "()" when the probe itself failed.
#include <gtest/gtest.h>

#include <cerrno>

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

}  // namespace
}  // namespace nfegress::cli
