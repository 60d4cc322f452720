// tests/enforcer/reload_watch_test.cpp — reload triggers without privileges: inotify in a temporary directory
// (write, editor-style rename, a burst debounced into one trigger, unrelated files ignored) and SIGHUP.
#include "enforcer/reload_watch.hpp"

#include <sys/inotify.h>

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace nfegress::enforcer {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

TEST(ReloadWatchPure, DecodeAndFilter) {
  std::vector<std::uint8_t> bytes;
  auto put = [&](int wd, std::uint32_t mask, const std::string& name) {
    inotify_event ev{};
    ev.wd = wd;
    ev.mask = mask;
    ev.len = name.empty() ? 0 : 16;
    const auto* p = reinterpret_cast<const std::uint8_t*>(&ev);
    bytes.insert(bytes.end(), p, p + sizeof ev);
    std::string padded = name;
    padded.resize(ev.len, '\0');
    bytes.insert(bytes.end(), padded.begin(), padded.end());
  };
  put(1, IN_CLOSE_WRITE, "a.yaml");
  put(2, IN_MOVED_TO, "..data");
  put(3, IN_IGNORED, "");
  auto events = decode_inotify(bytes);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].name, "a.yaml");
  EXPECT_EQ(events[1].wd, 2);
  bytes.resize(bytes.size() - 1);  // a truncated record is ignored
  EXPECT_EQ(decode_inotify(bytes).size(), 2u);

  WatchTarget file{false, {"a.yaml"}};
  WatchTarget dir{true, {}};
  EXPECT_TRUE(event_matters(file, events[0]));
  EXPECT_TRUE(event_matters(file, events[1]));  // Kubernetes atomic writer
  EXPECT_FALSE(event_matters(file, WatchEvent{1, IN_CLOSE_WRITE, "other.txt"}));
  EXPECT_TRUE(event_matters(dir, WatchEvent{1, IN_CREATE, "new.yaml"}));
  EXPECT_FALSE(event_matters(dir, events[2]));
  EXPECT_TRUE(event_matters(file, WatchEvent{-1, IN_Q_OVERFLOW, ""}));
}

class ReloadWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/nfegress-watch-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
    write(dir / "policy.yaml", "a: 1\n");
  }
  void TearDown() override {
    watch.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  static void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

  void start(std::vector<std::string> paths) {
    watch = std::make_unique<ReloadWatch>(ioc, std::move(paths), [this](const std::string& why) {
      triggers.push_back(why);
    }, 50ms);
    std::string err;
    ASSERT_TRUE(watch->start(err)) << err;
  }
  // Runs the loop until `n` triggers arrived or `limit` passed, then a little longer to catch extra triggers.
  void run_until(std::size_t n, std::chrono::milliseconds limit = 3000ms) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (triggers.size() < n && std::chrono::steady_clock::now() < end) ioc.run_for(20ms);
    ioc.run_for(200ms);
  }

  fs::path dir;
  boost::asio::io_context ioc;
  std::unique_ptr<ReloadWatch> watch;
  std::vector<std::string> triggers;
};

TEST_F(ReloadWatchTest, DirectoryWriteTriggersOnceAfterABurst) {
  start({dir.string()});
  for (int i = 0; i < 5; ++i) write(dir / "policy.yaml", "a: " + std::to_string(i) + "\n");
  run_until(1);
  ASSERT_EQ(triggers.size(), 1u);
  EXPECT_EQ(triggers[0], "file change");
}

TEST_F(ReloadWatchTest, NewSubdirectoryIsWatchedAfterTheNextTrigger) {
  start({dir.string()});
  fs::create_directory(dir / "sub");
  run_until(1);
  ASSERT_EQ(triggers.size(), 1u);
  write(dir / "sub" / "more.yaml", "b: 1\n");
  run_until(2);
  EXPECT_EQ(triggers.size(), 2u);
}

TEST_F(ReloadWatchTest, FilePathSeesEditorRenameAndIgnoresOtherFiles) {
  start({(dir / "policy.yaml").string()});
  write(dir / "unrelated.txt", "x\n");
  run_until(1, 300ms);
  EXPECT_TRUE(triggers.empty());
  write(dir / ".policy.yaml.swp", "a: 2\n");
  fs::rename(dir / ".policy.yaml.swp", dir / "policy.yaml");
  run_until(1);
  ASSERT_EQ(triggers.size(), 1u);
  // The watch survives the rename (it is on the directory): a second edit is seen too.
  write(dir / "policy.yaml", "a: 3\n");
  run_until(2);
  EXPECT_EQ(triggers.size(), 2u);
}

TEST_F(ReloadWatchTest, Sighup) {
  start({"-"});
  ASSERT_EQ(std::raise(SIGHUP), 0);  // asio's handler is installed: the process is not terminated
  run_until(1);
  ASSERT_EQ(triggers.size(), 1u);
  EXPECT_EQ(triggers[0], "SIGHUP");
}

}  // namespace
}  // namespace nfegress::enforcer
