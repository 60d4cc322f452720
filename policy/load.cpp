// policy/load.cpp — layer: input. Reads the named inputs (files, directories recursively, "-" for stdin), parses
// each as a YAML/JSON stream (yaml_tree), maps documents onto the model (load_object.cpp) and finally validates
// the whole set. The only I/O in policy/ is reading the named files here. See load.hpp.
#include "policy/load.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>
#include <system_error>

#include "policy/load_internal.hpp"
#include "policy/yaml_tree.hpp"

namespace nfegress::policy {
namespace detail {
namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's civil calendar arithmetic).
std::int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = static_cast<int>(y - era * 400);
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int days_in_month(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

}  // namespace

std::optional<std::int64_t> parse_rfc3339(std::string_view s) {
  int y, mo, d, h, mi, sec;
  if (!digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, h) ||
      s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, sec))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  std::size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    const std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start) return std::nullopt;
  }
  std::int64_t offset = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (!digits(s, i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' || !digits(s, i + 4, 2, om) || oh > 23 ||
        om > 59)
      return std::nullopt;
    offset = (oh * 3600 + om * 60) * (s[i] == '+' ? 1 : -1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
}

}  // namespace detail

namespace {

constexpr std::size_t kMaxInputBytes = 256u << 20;  // a manifest larger than this is a mistake, not a policy

void load_into(LoadResult& out, const std::string& name, std::string_view bytes, const LoadOptions& options,
               std::uint64_t& order) {
  out.files.push_back(name);
  yaml::ParseError err;
  detail::LoadContext ctx{name, options, order, out};
  const bool ok = detail::load_stream(ctx, bytes, err);
  if (!ok) {
    Diagnostic d;
    d.loc = SourceLoc{name, err.line, err.column};
    d.message = "syntax error at column " + std::to_string(err.column) + ": " + err.message;
    out.diagnostics.push_back(std::move(d));
  }
}

void file_error(LoadResult& out, const std::string& name, const std::string& message) {
  Diagnostic d;
  d.loc.file = name;
  d.message = message;
  out.diagnostics.push_back(std::move(d));
}

// `size_hint`: the file's size when known, so that a large file is appended into one buffer of the right size
// (growing a 4 MB string 64 KB at a time copies it several times and faults in every copy).
bool read_stream(std::istream& in, std::string& bytes, std::uintmax_t size_hint = 0) {
  bytes.clear();
  if (size_hint <= kMaxInputBytes) bytes.reserve(static_cast<std::size_t>(size_hint));
  char buf[65536];
  while (in) {
    in.read(buf, sizeof buf);
    bytes.append(buf, static_cast<std::size_t>(in.gcount()));
    if (bytes.size() > kMaxInputBytes) return false;
  }
  return true;
}

void load_file(LoadResult& out, const std::string& path, const LoadOptions& options, std::uint64_t& order) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    file_error(out, path, std::string("cannot read: ") + std::strerror(errno));
    return;
  }
  std::string bytes;
  std::error_code size_error;
  const auto size = std::filesystem::file_size(path, size_error);
  if (!read_stream(in, bytes, size_error ? 0 : size)) {
    file_error(out, path, "file larger than 256 MiB");
    return;
  }
  if (in.bad()) {
    file_error(out, path, "read error");
    return;
  }
  load_into(out, path, bytes, options, order);
}

bool manifest_extension(const std::filesystem::path& p) {
  const auto ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

void load_directory(LoadResult& out, const std::string& dir, const LoadOptions& options, std::uint64_t& order) {
  std::vector<std::string> files;
  std::error_code ec;
  namespace fs = std::filesystem;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::error_code fec;
    if (it->is_regular_file(fec) && manifest_extension(it->path())) files.push_back(it->path().string());
  }
  if (ec) file_error(out, dir, "cannot list directory: " + ec.message());
  std::sort(files.begin(), files.end());  // deterministic input order across file systems
  for (const auto& f : files) load_file(out, f, options, order);
}

}  // namespace

LoadResult load_buffer(std::string_view name, std::string_view bytes, const LoadOptions& options) {
  LoadResult out;
  std::uint64_t order = 0;
  load_into(out, std::string(name), bytes, options, order);
  return out;
}

void finish_load(LoadResult& out, const LoadOptions& options) {
  auto v = validate(out.resources, options.validation);
  out.diagnostics.insert(out.diagnostics.end(), std::make_move_iterator(v.begin()), std::make_move_iterator(v.end()));
  // Present findings in input order (file, then line); stable, so equal lines keep their order.
  std::map<std::string, std::size_t> file_index;
  for (std::size_t i = 0; i < out.files.size(); ++i) file_index.emplace(out.files[i], i);
  auto key = [&](const Diagnostic& d) {
    const auto it = file_index.find(d.loc.file);
    return std::make_pair(it == file_index.end() ? out.files.size() : it->second, d.loc.line);
  };
  std::stable_sort(out.diagnostics.begin(), out.diagnostics.end(),
                   [&](const Diagnostic& a, const Diagnostic& b) { return key(a) < key(b); });
}

LoadResult load_paths(const std::vector<std::string>& paths, const LoadOptions& options) {
  LoadResult out;
  std::uint64_t order = 0;
  namespace fs = std::filesystem;
  for (const auto& p : paths) {
    if (p == "-") {
      std::string bytes;
      if (!read_stream(std::cin, bytes)) {
        file_error(out, "-", "input larger than 256 MiB");
        continue;
      }
      load_into(out, "-", bytes, options, order);
      continue;
    }
    std::error_code ec;
    const auto st = fs::status(p, ec);
    if (ec || !fs::exists(st)) {
      file_error(out, p, "no such file or directory");
    } else if (fs::is_directory(st)) {
      load_directory(out, p, options, order);
    } else {
      load_file(out, p, options, order);
    }
  }
  finish_load(out, options);
  return out;
}

}  // namespace nfegress::policy
