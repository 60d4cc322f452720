// policy/yaml_tree.cpp — layer: input. libyaml event stream -> Document arena. See yaml_tree.hpp.
// The parser handle is owned by a unique_ptr-like guard from the line it is initialised; every event is deleted
// on every path. No I/O, no exceptions other than std::bad_alloc.
#include "policy/yaml_tree.hpp"

#include <yaml.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <unordered_map>

namespace nfegress::policy::yaml {
namespace {

struct ParserGuard {
  yaml_parser_t p;
  bool ok = false;
  ParserGuard() { ok = yaml_parser_initialize(&p) != 0; }
  ~ParserGuard() {
    if (ok) yaml_parser_delete(&p);
  }
  ParserGuard(const ParserGuard&) = delete;
  ParserGuard& operator=(const ParserGuard&) = delete;
};

struct EventGuard {
  yaml_event_t e;
  bool live = false;
  ~EventGuard() { reset(); }
  void reset() {
    if (live) yaml_event_delete(&e);
    live = false;
  }
};

std::uint64_t sat_add(std::uint64_t a, std::uint64_t b) {
  return a > std::numeric_limits<std::uint64_t>::max() - b ? std::numeric_limits<std::uint64_t>::max() : a + b;
}

const char* kStrTag = "tag:yaml.org,2002:str";

// Builds one document at a time.
class Builder {
 public:
  Builder(const Limits& limits, ParseError& error, int first_line)
      : limits_(limits), error_(error), first_line_(first_line) {}

  void start_document(int line) {
    // Reuse the previous document's memory (a sink that kept it moved it away and left it empty).
    doc_.nodes.clear();
    doc_.kids.clear();
    doc_.text.clear();
    doc_.root = 0;
    doc_.empty = true;
    doc_.line = line;
    frames_.clear();
    pending_.clear();
    anchors_.clear();
  }
  Document& doc() { return doc_; }

  bool scalar(const yaml_event_t& e) {
    Node n;
    n.type = NodeType::Scalar;
    const auto& s = e.data.scalar;
    n.quoted = s.style != YAML_PLAIN_SCALAR_STYLE && s.style != YAML_ANY_SCALAR_STYLE;
    if (s.tag && std::strcmp(reinterpret_cast<const char*>(s.tag), kStrTag) == 0) n.quoted = true;
    n.value = doc_.text.store({reinterpret_cast<const char*>(s.value), s.length});
    mark(n, e);
    const auto idx = add(std::move(n));
    if (s.anchor) anchors_[reinterpret_cast<const char*>(s.anchor)] = idx;
    return attach(idx, true, e);
  }

  bool start_collection(const yaml_event_t& e, NodeType type) {
    if (frames_.size() >= limits_.max_depth) return fail("nesting deeper than " + std::to_string(limits_.max_depth) + " levels", e);
    Node n;
    n.type = type;
    mark(n, e);
    const auto idx = add(std::move(n));
    const yaml_char_t* anchor = type == NodeType::Seq ? e.data.sequence_start.anchor : e.data.mapping_start.anchor;
    // Register the anchor only when the collection is complete, so an alias inside it (a cycle) is an error.
    frames_.push_back(Frame{idx, pending_.size(), anchor ? reinterpret_cast<const char*>(anchor) : std::string()});
    return true;
  }

  bool end_collection(const yaml_event_t& e) {
    if (frames_.empty()) return fail("unbalanced collection end", e);
    Frame f = std::move(frames_.back());
    frames_.pop_back();
    Node& n = doc_.nodes[f.node];
    n.first = static_cast<std::uint32_t>(doc_.kids.size());
    n.count = static_cast<std::uint32_t>(pending_.size() - f.pending_start);
    std::uint64_t total = 1;
    for (std::size_t i = f.pending_start; i < pending_.size(); ++i) {
      doc_.kids.push_back(pending_[i]);
      total = sat_add(total, doc_.nodes[pending_[i]].expanded);
    }
    pending_.resize(f.pending_start);
    doc_.nodes[f.node].expanded = total;
    if (total > limits_.max_expanded_nodes) return fail("document too large (aliases expand to too many nodes)", e);
    if (!f.anchor.empty()) anchors_[f.anchor] = f.node;
    return attach(f.node, false, e);
  }

  bool alias(const yaml_event_t& e) {
    const auto it = anchors_.find(reinterpret_cast<const char*>(e.data.alias.anchor));
    if (it == anchors_.end())
      return fail(std::string("unknown or recursive alias '*") + reinterpret_cast<const char*>(e.data.alias.anchor) + "'", e);
    return attach(it->second, doc_.nodes[it->second].type == NodeType::Scalar, e);
  }

 private:
  struct Frame {
    std::uint32_t node;
    std::size_t pending_start;
    std::string anchor;
  };

  void mark(Node& n, const yaml_event_t& e) const {
    n.line = static_cast<int>(e.start_mark.line) + first_line_;
    n.column = static_cast<int>(e.start_mark.column) + 1;
  }

  std::uint32_t add(Node&& n) {
    doc_.nodes.push_back(std::move(n));
    return static_cast<std::uint32_t>(doc_.nodes.size() - 1);
  }

  bool attach(std::uint32_t idx, bool is_scalar, const yaml_event_t& e) {
    if (frames_.empty()) {
      doc_.root = idx;
      doc_.empty = false;
      return true;
    }
    const Frame& top = frames_.back();
    const bool is_key = doc_.nodes[top.node].type == NodeType::Map && ((pending_.size() - top.pending_start) % 2 == 0);
    if (is_key && !is_scalar) return fail("mapping keys must be plain strings", e);
    pending_.push_back(idx);
    return true;
  }

  bool fail(const std::string& msg, const yaml_event_t& e) {
    error_.message = msg;
    error_.line = static_cast<int>(e.start_mark.line) + first_line_;
    error_.column = static_cast<int>(e.start_mark.column) + 1;
    return false;
  }

  const Limits& limits_;
  ParseError& error_;
  const int first_line_;
  Document doc_;
  std::vector<Frame> frames_;
  std::vector<std::uint32_t> pending_;
  std::unordered_map<std::string, std::uint32_t> anchors_;
};

bool is_int(std::string_view s) {
  if (s.empty()) return false;
  std::size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
    for (std::size_t k = 2; k < s.size(); ++k) {
      const char c = s[k];
      const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      const bool oct = c >= '0' && c <= '7';
      if (s[1] == 'x' ? !hex : !oct) return false;
    }
    return true;
  }
  if (i == s.size()) return false;
  for (; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

bool is_float(std::string_view s) {
  if (s == ".inf" || s == ".Inf" || s == ".INF" || s == "-.inf" || s == "+.inf" || s == "-.Inf" || s == "+.Inf" ||
      s == ".nan" || s == ".NaN" || s == ".NAN")
    return true;
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  std::size_t digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    std::size_t exp = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++exp;
    if (exp == 0) return false;
  }
  return i == s.size();
}

}  // namespace

bool Document::find(std::uint32_t map, std::string_view key, std::uint32_t& out) const {
  const Node& m = nodes[map];
  if (m.type != NodeType::Map) return false;
  for (std::uint32_t k = 0; k + 1 < m.count; k += 2) {
    const Node& kn = nodes[kids[m.first + k]];
    if (kn.type == NodeType::Scalar && kn.value == key) {
      out = kids[m.first + k + 1];
      return true;
    }
  }
  return false;
}

ScalarTag resolve(const Node& n) {
  if (n.quoted) return ScalarTag::String;
  const std::string_view v = n.value;
  if (v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL") return ScalarTag::Null;
  if (v == "true" || v == "True" || v == "TRUE" || v == "false" || v == "False" || v == "FALSE") return ScalarTag::Bool;
  if (is_int(v)) return ScalarTag::Int;
  if (is_float(v)) return ScalarTag::Float;
  return ScalarTag::String;
}

const char* type_name(const Node& n) {
  switch (n.type) {
    case NodeType::Map: return "a mapping";
    case NodeType::Seq: return "a list";
    case NodeType::Scalar: break;
  }
  switch (resolve(n)) {
    case ScalarTag::String: return "a string";
    case ScalarTag::Null: return "null";
    case ScalarTag::Bool: return "a boolean";
    case ScalarTag::Int: return "an integer";
    case ScalarTag::Float: return "a number";
  }
  return "a scalar";
}

bool parse_stream(std::string_view bytes, std::vector<Document>& docs, ParseError& error, const Limits& limits) {
  return parse_stream(bytes, [&docs](Document& d) { docs.push_back(std::move(d)); }, error, limits);
}

bool parse_stream(std::string_view bytes, const DocumentSink& on_document, ParseError& error, const Limits& limits,
                  int first_line) {
  ParserGuard parser;
  if (!parser.ok) {
    error.message = "cannot initialise the YAML parser";
    return false;
  }
  // libyaml asserts on a null input pointer, which an empty string_view may carry.
  static const unsigned char kEmpty[1] = {0};
  const auto* input = bytes.empty() ? kEmpty : reinterpret_cast<const unsigned char*>(bytes.data());
  yaml_parser_set_input_string(&parser.p, input, bytes.size());
  Builder b(limits, error, first_line);
  EventGuard ev;
  for (;;) {
    if (!yaml_parser_parse(&parser.p, &ev.e)) {
      const yaml_mark_t& m = parser.p.problem_mark;
      error.message = parser.p.problem ? parser.p.problem : "syntax error";
      if (parser.p.context) error.message = std::string(parser.p.context) + ": " + error.message;
      error.line = static_cast<int>(m.line) + first_line;
      error.column = static_cast<int>(m.column) + 1;
      if (parser.p.error == YAML_READER_ERROR) {
        // Encoding errors carry a byte offset, not a mark: count lines up to it.
        const std::size_t off = std::min(parser.p.problem_offset, bytes.size());
        error.line = first_line;
        std::size_t line_start = 0;
        for (std::size_t i = 0; i < off; ++i)
          if (bytes[i] == '\n') ++error.line, line_start = i + 1;
        error.column = static_cast<int>(off - line_start) + 1;
      }
      return false;
    }
    ev.live = true;
    bool ok = true;
    switch (ev.e.type) {
      case YAML_STREAM_END_EVENT: return true;
      case YAML_DOCUMENT_START_EVENT: b.start_document(static_cast<int>(ev.e.start_mark.line) + first_line); break;
      case YAML_DOCUMENT_END_EVENT: on_document(b.doc()); break;
      case YAML_SCALAR_EVENT: ok = b.scalar(ev.e); break;
      case YAML_SEQUENCE_START_EVENT: ok = b.start_collection(ev.e, NodeType::Seq); break;
      case YAML_MAPPING_START_EVENT: ok = b.start_collection(ev.e, NodeType::Map); break;
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: ok = b.end_collection(ev.e); break;
      case YAML_ALIAS_EVENT: ok = b.alias(ev.e); break;
      default: break;
    }
    ev.reset();
    if (!ok) return false;
  }
}

}  // namespace nfegress::policy::yaml
