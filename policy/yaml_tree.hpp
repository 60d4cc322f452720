// policy/yaml_tree.hpp — layer: input. A small generic document tree (map / sequence / scalar, each with its
// line and column) built from libyaml's event API. libyaml also reads JSON. The tree is a flat arena: children
// are index ranges into one pool, and an alias shares the anchored node instead of copying it, so an alias bomb
// costs no memory; its *expanded* size is still bounded (kMaxExpandedNodes) so nobody walking the tree can be
// made to work exponentially. Depth is bounded too. Scalar text lives in the document's TextArena (one copy, no
// allocation per scalar); a Node's `value` is a view of it, valid as long as the Document. No knowledge of
// Kubernetes here; no I/O.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/text_arena.hpp"

namespace nfegress::policy::yaml {

enum class NodeType : std::uint8_t { Scalar, Seq, Map };

// What a scalar resolves to under the YAML 1.2 core schema (quoted scalars are always strings).
enum class ScalarTag : std::uint8_t { String, Null, Bool, Int, Float };

struct Node {
  NodeType type = NodeType::Scalar;
  bool quoted = false;       // scalar written in quotes (or as a block literal): always a string
  int line = 0;              // 1-based
  int column = 0;            // 1-based
  std::uint32_t first = 0;   // Seq: children kids[first..first+count); Map: keys and values alternate
  std::uint32_t count = 0;   // number of entries in kids (a map with n pairs has 2n)
  std::uint64_t expanded = 1;  // node count with aliases expanded (bounded)
  std::string_view value;    // scalar text (in the owning Document's arena)
};

// Move-only (TextArena): the nodes' views point into `text`.
struct Document {
  std::vector<Node> nodes;          // arena
  std::vector<std::uint32_t> kids;  // children pool
  TextArena text;                   // scalar text
  std::uint32_t root = 0;
  bool empty = true;                // a document with no content (e.g. `---` alone)
  int line = 0;                     // where the document starts

  const Node& at(std::uint32_t i) const { return nodes[i]; }
  std::uint32_t kid(const Node& n, std::uint32_t k) const { return kids[n.first + k]; }
  // Map lookup by key text; returns false when absent. Linear scan (maps in manifests are small).
  bool find(std::uint32_t map, std::string_view key, std::uint32_t& out) const;
};

struct ParseError {
  std::string message;
  int line = 0;
  int column = 0;
};

struct Limits {
  unsigned max_depth = 64;
  std::uint64_t max_expanded_nodes = 4'000'000;
};

// Parses a whole stream. Documents parsed before an error are kept; parsing stops at the first syntax error
// (libyaml cannot recover) and fills `error`. Returns false on error.
bool parse_stream(std::string_view bytes, std::vector<Document>& docs, ParseError& error, const Limits& limits = {});

// The same, handing each document to `on_document` as soon as it is complete. The parser reuses the document's
// memory for the next one, so the callback must copy out what it keeps (or move the Document away).
// `first_line`: the line number of bytes[0] (a piece of a larger stream, yaml_split.hpp); every line reported
// (nodes, documents, errors) counts from it. Columns need no offset: a piece starts at the start of a line.
using DocumentSink = std::function<void(Document&)>;
bool parse_stream(std::string_view bytes, const DocumentSink& on_document, ParseError& error,
                  const Limits& limits = {}, int first_line = 1);

ScalarTag resolve(const Node& n);
const char* type_name(const Node& n);  // "a string", "a mapping", "a number", ...

}  // namespace nfegress::policy::yaml
