// init/kube/token.hpp — layer: I/O (credentials). The bearer token: a fixed string, or a file re-read whenever
// its modification time or size changes (kubelet rotates projected service-account tokens in place) and when a
// caller forces it after a 401. Thread-safe. No network.
#pragma once
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

namespace nfegress::kube {

class TokenSource {
 public:
  TokenSource(std::string token, std::string file) : token_(std::move(token)), file_(std::move(file)) {}
  // The current token ("" = none). `force` re-reads the file even when it looks unchanged. nullopt (error set)
  // when the file cannot be read.
  std::optional<std::string> get(bool force, std::string& error);
  bool from_file() const { return !file_.empty(); }

 private:
  std::mutex mu_;
  std::string token_;
  std::string file_;
  bool loaded_ = false;
  std::filesystem::file_time_type mtime_{};
  std::uintmax_t size_ = 0;
};

}  // namespace nfegress::kube
