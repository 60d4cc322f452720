// enforcer/reload_watch.cpp — layer: operations (thin I/O). See reload_watch.hpp.
#include "enforcer/reload_watch.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <array>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>

namespace nfegress::enforcer {

namespace asio = boost::asio;
namespace fs = std::filesystem;

// Content changes (close after write), entries appearing, disappearing or renamed (editors, atomic writers),
// and the watched directory itself going away.
constexpr std::uint32_t kWatchMask =
    IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF;

std::vector<WatchEvent> decode_inotify(std::span<const std::uint8_t> bytes) {
  std::vector<WatchEvent> out;
  std::size_t off = 0;
  while (bytes.size() - off >= sizeof(inotify_event)) {
    inotify_event ev;
    std::memcpy(&ev, bytes.data() + off, sizeof ev);  // the buffer need not be aligned
    const std::size_t total = sizeof(inotify_event) + ev.len;
    if (bytes.size() - off < total) break;
    WatchEvent w;
    w.wd = ev.wd;
    w.mask = ev.mask;
    const char* name = reinterpret_cast<const char*>(bytes.data() + off + sizeof(inotify_event));
    w.name.assign(name, strnlen(name, ev.len));  // the kernel pads the name with NULs
    out.push_back(std::move(w));
    off += total;
  }
  return out;
}

bool event_matters(const WatchTarget& t, const WatchEvent& e) {
  if (e.mask & IN_Q_OVERFLOW) return true;  // events were lost: assume a change
  if ((e.mask & ~(IN_IGNORED | IN_ISDIR)) == 0) return false;
  if (t.whole_directory) return true;
  if (e.mask & (IN_DELETE_SELF | IN_MOVE_SELF)) return true;
  // Kubernetes' atomic writer swaps a `..data` symlink; the watched names are symlinks through it.
  return t.names.count(e.name) > 0 || e.name.starts_with("..");
}

struct ReloadWatch::Impl : std::enable_shared_from_this<ReloadWatch::Impl> {
  Impl(asio::io_context& ioc, std::vector<std::string> p, Trigger t, std::chrono::milliseconds d)
      : paths(std::move(p)), trigger(std::move(t)), debounce(d), signals(ioc), inotify(ioc), timer(ioc) {}

  void add_watch(const fs::path& dir, const std::string& file) {
    const int wd = inotify_add_watch(inotify.native_handle(), dir.c_str(), kWatchMask);
    if (wd < 0) return;  // missing or unreadable: seen again once its parent changes or on SIGHUP
    auto& t = targets[wd];
    if (file.empty()) t.whole_directory = true;
    else t.names.insert(file);
  }

  // (Re)establishes every watch. inotify_add_watch on an already watched inode returns the same descriptor,
  // so this also picks up new subdirectories and directories that were replaced.
  void refresh() {
    targets.clear();
    for (const auto& p : paths) {
      if (p == "-") continue;
      std::error_code ec;
      const fs::path path(p);
      if (fs::is_directory(path, ec)) {
        add_watch(path, "");
        for (fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec), end;
             !ec && it != end; it.increment(ec))
          if (it->is_directory(ec)) add_watch(it->path(), "");
      } else {
        const fs::path parent = path.has_parent_path() ? path.parent_path() : fs::path(".");
        add_watch(parent, path.filename().string());
      }
    }
  }

  void read() {
    inotify.async_read_some(asio::buffer(buf), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
      if (ec) return;  // closed by stop()
      bool changed = false;
      for (const auto& e : decode_inotify(std::span<const std::uint8_t>(self->buf.data(), n))) {
        auto it = self->targets.find(e.wd);
        if ((e.mask & IN_Q_OVERFLOW) || (it != self->targets.end() && event_matters(it->second, e))) changed = true;
      }
      if (changed) self->schedule();
      self->read();
    });
  }

  void schedule() {
    timer.expires_after(debounce);  // cancels a pending wait: the last change starts the quiet period
    timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return;
      self->refresh();
      self->trigger("file change");
    });
  }

  void wait_signal() {
    signals.async_wait([self = shared_from_this()](boost::system::error_code ec, int) {
      if (ec) return;
      self->trigger("SIGHUP");
      self->wait_signal();
    });
  }

  std::vector<std::string> paths;
  Trigger trigger;
  std::chrono::milliseconds debounce;
  asio::signal_set signals;
  asio::posix::stream_descriptor inotify;
  asio::steady_timer timer;
  std::map<int, WatchTarget> targets;
  std::array<std::uint8_t, 16384> buf{};
};

ReloadWatch::ReloadWatch(asio::io_context& ioc, std::vector<std::string> paths, Trigger trigger,
                         std::chrono::milliseconds debounce)
    : impl_(std::make_shared<Impl>(ioc, std::move(paths), std::move(trigger), debounce)) {}

ReloadWatch::~ReloadWatch() { stop(); }

bool ReloadWatch::start(std::string& error) {
  boost::system::error_code ec;
  impl_->signals.add(SIGHUP, ec);
  if (ec) {
    error = "signal_set SIGHUP: " + ec.message();
    return false;
  }
  const int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    error = std::string("inotify_init1: ") + std::strerror(errno);
    return false;
  }
  impl_->inotify.assign(fd, ec);  // owned from here on: closed by stop() or the destructor
  if (ec) {
    ::close(fd);
    error = "inotify descriptor: " + ec.message();
    return false;
  }
  impl_->refresh();
  impl_->read();
  impl_->wait_signal();
  return true;
}

void ReloadWatch::stop() {
  boost::system::error_code ec;
  impl_->signals.cancel(ec);
  impl_->signals.clear(ec);
  impl_->timer.cancel();
  impl_->inotify.close(ec);
}

}  // namespace nfegress::enforcer
