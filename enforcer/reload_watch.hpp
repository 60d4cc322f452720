// enforcer/reload_watch.hpp — layer: operations (thin I/O). What triggers a reload: SIGHUP (asio::signal_set) and
// a change under the manifest paths (inotify on an asio::posix::stream_descriptor), debounced so an editor's
// write-rename-chmod sequence or a `kubectl cp` of many files is one reload. Directories are watched (recursively
// for directory paths, the parent directory for file paths) so files replaced by rename — editors, Kubernetes'
// `..data` symlink swap — are seen. The pure part (which event matters) is event_matters().
// Must not: load or apply policy itself (the callback does), block the io_context.
#pragma once
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nfegress::enforcer {

// One inotify event, decoded from the kernel's byte stream.
struct WatchEvent {
  int wd = 0;
  std::uint32_t mask = 0;
  std::string name;
};
// Decodes whole `struct inotify_event` records; a truncated tail is ignored.
std::vector<WatchEvent> decode_inotify(std::span<const std::uint8_t> bytes);

// What one watch descriptor stands for: a watched directory (every entry matters) and/or the parent of watched
// files (only those names, and Kubernetes' `..`-prefixed atomic-writer entries, matter).
struct WatchTarget {
  bool whole_directory = false;
  std::set<std::string> names;
};
bool event_matters(const WatchTarget& t, const WatchEvent& e);

class ReloadWatch {
 public:
  using Trigger = std::function<void(const std::string& why)>;  // "SIGHUP" or "file change"

  // `paths` as given on the command line ("-" is ignored). Nothing happens until start().
  ReloadWatch(boost::asio::io_context& ioc, std::vector<std::string> paths, Trigger trigger,
              std::chrono::milliseconds debounce = std::chrono::milliseconds(100));
  ~ReloadWatch();
  ReloadWatch(const ReloadWatch&) = delete;
  ReloadWatch& operator=(const ReloadWatch&) = delete;

  // Installs the SIGHUP handler and the inotify watches. false + `error` ("inotify_init1: ...").
  bool start(std::string& error);
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace nfegress::enforcer
