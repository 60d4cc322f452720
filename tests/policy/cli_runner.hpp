// tests/policy/cli_runner.hpp — runs the built `nfegress` binary in a private temporary directory and captures
// exit code, stdout and stderr. Shared by the CLI tests (check, explain, export).
#pragma once
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace nfegress::testing {

namespace fs = std::filesystem;

inline const std::string kBin = NFEGRESS_BIN;
inline const std::string kSrc = NFEGRESS_SOURCE_DIR;

struct CliResult {
  int code = -1;
  std::string out;
  std::string err;
};

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class CliTest : public ::testing::Test {
 protected:
  explicit CliTest(std::string subcommand) : subcommand_(std::move(subcommand)) {}

  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("nfegress-cli-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // `nfegress SUBCOMMAND ARGS` (ARGS is shell text: quote paths), with `stdin_text` on stdin.
  CliResult run(const std::string& args, const std::string& stdin_text = "") {
    const auto in = dir_ / "stdin", out = dir_ / "stdout", err = dir_ / "stderr";
    std::ofstream(in) << stdin_text;
    const std::string cmd = "'" + kBin + "' " + subcommand_ + " " + args + " <'" + in.string() + "' >'" +
                            out.string() + "' 2>'" + err.string() + "'";
    const int status = std::system(cmd.c_str());
    CliResult r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
  }

  std::string write(const std::string& name, const std::string& text) {
    const auto p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }

  std::string subcommand_;
  fs::path dir_;
};

}  // namespace nfegress::testing
