// policy/yaml_split.cpp — layer: input. See yaml_split.hpp. The checks use memchr (one pass per byte value), so
// deciding to split a multi-megabyte stream costs well under a millisecond.
#include "policy/yaml_split.hpp"

#include <cstring>

namespace nfegress::policy::yaml {
namespace {

// Positions of byte `c` in `s`, calling `f(pos)` until it returns true (then true).
template <class F>
bool any_at(std::string_view s, char c, F f) {
  const char* const base = s.data();
  const char* const end = base + s.size();
  for (const char* p = base; p < end;) {
    const void* hit = std::memchr(p, c, static_cast<std::size_t>(end - p));
    if (!hit) return false;
    const auto pos = static_cast<std::size_t>(static_cast<const char*>(hit) - base);
    if (f(pos)) return true;
    p = static_cast<const char*>(hit) + 1;
  }
  return false;
}

// libyaml also breaks lines at a lone CR, NEL (C2 85), LS (E2 80 A8) and PS (E2 80 A9).
bool other_line_breaks(std::string_view s) {
  auto at = [&s](std::size_t pos, char c) { return pos < s.size() && s[pos] == c; };
  return any_at(s, '\r', [&](std::size_t p) { return !at(p + 1, '\n'); }) ||
         any_at(s, '\xC2', [&](std::size_t p) { return at(p + 1, '\x85'); }) ||
         any_at(s, '\xE2', [&](std::size_t p) { return at(p + 1, '\x80') && (at(p + 2, '\xA8') || at(p + 2, '\xA9')); });
}

bool utf16_bom(std::string_view s) {
  return s.size() >= 2 && ((s[0] == '\xFF' && s[1] == '\xFE') || (s[0] == '\xFE' && s[1] == '\xFF'));
}

}  // namespace

bool document_start_at(std::string_view s, std::size_t pos) {
  if (s.size() - pos < 3 || s.compare(pos, 3, "---") != 0) return false;
  if (pos + 3 == s.size()) return true;
  const char c = s[pos + 3];
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::vector<StreamPiece> split_stream(std::string_view s, std::size_t max_pieces) {
  if (max_pieces < 2 || utf16_bom(s) || other_line_breaks(s)) return {};
  const std::size_t bom = s.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;  // libyaml skips it: the line starts after it
  if (bom < s.size() && s[bom] == '%') return {};
  // Cut k goes at the first document start at or after k/max_pieces of the stream (after cut k-1).
  auto next_cut = [&](std::size_t k) { return k >= max_pieces ? s.size() + 1 : s.size() * k / max_pieces; };
  std::size_t k = 1;
  std::size_t cut_at = next_cut(k);
  std::vector<StreamPiece> pieces{StreamPiece{}};
  int line = 1;
  const char* const base = s.data();
  for (std::size_t pos = 0;;) {
    const void* nl = std::memchr(base + pos, '\n', s.size() - pos);
    if (!nl) break;
    pos = static_cast<std::size_t>(static_cast<const char*>(nl) - base) + 1;
    ++line;
    if (pos == s.size()) break;
    if (s[pos] == '%') return {};
    if (pos >= cut_at && document_start_at(s, pos)) {
      pieces.back().size = pos - pieces.back().offset;
      pieces.push_back(StreamPiece{pos, 0, line});
      cut_at = next_cut(++k);
    }
  }
  if (pieces.size() < 2) return {};
  pieces.back().size = s.size() - pieces.back().offset;
  return pieces;
}

}  // namespace nfegress::policy::yaml
