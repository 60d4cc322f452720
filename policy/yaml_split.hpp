// policy/yaml_split.hpp — layer: input. Cuts a YAML stream into pieces that libyaml parses independently with
// the same events as the whole stream, so the loader can parse them on several threads. A piece starts at a line
// `---` followed by a space, tab, line break or the end: at column 0 libyaml always scans that as a document start
// (it ends a block or plain scalar, and a quoted scalar or flow collection still open there is a syntax error,
// which the loader answers by parsing the whole stream sequentially). Pure: no parsing, no threads, no I/O.
#pragma once
#include <cstddef>
#include <string_view>
#include <vector>

namespace nfegress::policy::yaml {

struct StreamPiece {
  std::size_t offset = 0;  // byte offset of the piece in the stream (0, or the `-` of a `---` line)
  std::size_t size = 0;
  int first_line = 1;  // 1-based line number of the piece's first byte in the stream
};

// At most `max_pieces` pieces of roughly equal size, in stream order, covering every byte. Empty when the stream
// should be parsed as one piece: fewer than two pieces are possible, or the stream holds something whose meaning
// could depend on what precedes a cut: a directive (`%` at the start of a line), a UTF-16 byte-order mark, or a
// line break other than LF and CRLF (a lone CR, NEL, LS, PS; libyaml counts those as lines, so line numbers
// would need them too).
std::vector<StreamPiece> split_stream(std::string_view bytes, std::size_t max_pieces);

// True when the line starting at `pos` is a document start marker (`---` then blank, line break or the end).
bool document_start_at(std::string_view bytes, std::size_t pos);

}  // namespace nfegress::policy::yaml
