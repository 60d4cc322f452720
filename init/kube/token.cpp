// init/kube/token.cpp — layer: I/O (credentials). See token.hpp.
#include "init/kube/token.hpp"

#include "init/kube/config.hpp"

namespace nfegress::kube {

std::optional<std::string> TokenSource::get(bool force, std::string& error) {
  std::lock_guard lock(mu_);
  if (file_.empty()) return token_;
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(file_, ec);
  const auto size = ec ? 0 : std::filesystem::file_size(file_, ec);
  if (ec) {
    error = file_ + ": cannot read token: " + ec.message();
    return std::nullopt;
  }
  if (force || !loaded_ || mtime != mtime_ || size != size_) {
    std::string bytes;
    if (!read_file(file_, bytes, error)) return std::nullopt;
    while (!bytes.empty() && (bytes.back() == '\n' || bytes.back() == '\r' || bytes.back() == ' ')) bytes.pop_back();
    token_ = std::move(bytes);
    mtime_ = mtime;
    size_ = size;
    loaded_ = true;
  }
  return token_;
}

}  // namespace nfegress::kube
