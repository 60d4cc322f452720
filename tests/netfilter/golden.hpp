// tests/netfilter/golden.hpp — test helper: compare a rendered export with tests/netfilter/golden/NAME; with
// NFEGRESS_UPDATE_GOLDEN=1 set, rewrite the golden instead (then review the diff).
#pragma once
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace nfegress::testing {

inline std::string golden_path(const std::string& name) {
  return std::string(NFEGRESS_SOURCE_DIR) + "/tests/netfilter/golden/" + name;
}

inline void expect_golden(const std::string& name, const std::string& actual) {
  const auto path = golden_path(name);
  if (std::getenv("NFEGRESS_UPDATE_GOLDEN")) {
    std::ofstream(path) << actual;
    return;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in) << "missing golden " << path << " (run with NFEGRESS_UPDATE_GOLDEN=1)";
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), actual) << "golden " << name << " differs";
}

}  // namespace nfegress::testing
