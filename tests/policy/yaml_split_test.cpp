// tests/policy/yaml_split_test.cpp — cutting a YAML stream at document starts (yaml_split.hpp): where the cuts
// go, when the stream is left whole, and the libyaml facts the cut relies on, checked on tricky inputs: parsing
// the pieces (each with its first line) gives exactly the documents and locations of parsing the whole stream,
// or a piece fails to parse (the loader then parses the whole stream), never a different success.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "policy/yaml_split.hpp"
#include "policy/yaml_tree.hpp"

namespace nfegress::policy {
namespace {

void dump(const yaml::Document& d, std::uint32_t i, std::string& out) {
  const auto& n = d.at(i);
  out += std::to_string(n.line) + ":" + std::to_string(n.column) + (n.quoted ? "q" : "") + " ";
  if (n.type == yaml::NodeType::Scalar) {
    out += "'" + std::string(n.value) + "'";
    return;
  }
  out += n.type == yaml::NodeType::Map ? "{" : "[";
  for (std::uint32_t k = 0; k < n.count; ++k) {
    dump(d, d.kid(n, k), out);
    out += ", ";
  }
  out += n.type == yaml::NodeType::Map ? "}" : "]";
}

struct Parsed {
  bool ok = true;
  yaml::ParseError error;
  std::vector<std::string> docs;  // "LINE: tree"
};

void parse_into(std::string_view bytes, int first_line, Parsed& p) {
  p.ok = p.ok && yaml::parse_stream(
                     bytes,
                     [&p](yaml::Document& d) {
                       std::string s = std::to_string(d.line) + ": ";
                       if (!d.empty) dump(d, d.root, s);
                       p.docs.push_back(std::move(s));
                     },
                     p.error, {}, first_line);
}

void expect_doc(const Parsed& p, std::size_t count, std::size_t i, const std::string& want) {
  ASSERT_TRUE(p.ok) << p.error.message;
  ASSERT_EQ(p.docs.size(), count);
  EXPECT_EQ(p.docs[i], want);
}

Parsed whole(std::string_view src) {
  Parsed p;
  parse_into(src, 1, p);
  return p;
}

// Every piece (a cut at every document start), one after the other; stops at the first failing piece.
Parsed in_pieces(std::string_view src, std::size_t* count = nullptr) {
  const auto pieces = yaml::split_stream(src, 100000);
  if (count) *count = pieces.size();
  Parsed p;
  for (const auto& piece : pieces)
    if (p.ok) parse_into(src.substr(piece.offset, piece.size), piece.first_line, p);
  return p;
}

// The property the loader relies on: pieces that all parse give the whole stream's documents (which then also
// parses); `whole_ok`: whether the whole stream parses; `min_pieces`: the stream must be cut at least so often.
void expect_agree(const std::string& src, bool whole_ok, std::size_t min_pieces = 2) {
  SCOPED_TRACE(src);
  std::size_t count = 0;
  const Parsed w = whole(src);
  const Parsed p = in_pieces(src, &count);
  EXPECT_GE(count, min_pieces);
  EXPECT_EQ(w.ok, whole_ok) << w.error.message;
  if (p.ok) {
    EXPECT_TRUE(w.ok);
    EXPECT_EQ(p.docs, w.docs);
  }
  if (w.ok) {
    EXPECT_TRUE(p.ok) << p.error.message;  // an error-free stream never needs the sequential retry
  }
}

TEST(YamlSplit, CutsAtDocumentStartLinesOnly) {
  const std::string src = "a: 1\n---\nb: 2\n---x\n--- c\n---\t# t\n  ---\n---";
  const auto pieces = yaml::split_stream(src, 100);
  ASSERT_EQ(pieces.size(), 5u);
  EXPECT_EQ(pieces[0].offset, 0u);
  EXPECT_EQ(pieces[0].first_line, 1);
  EXPECT_EQ(src.substr(pieces[1].offset, pieces[1].size), "---\nb: 2\n---x\n");
  EXPECT_EQ(pieces[1].first_line, 2);
  EXPECT_EQ(src.substr(pieces[2].offset, pieces[2].size), "--- c\n");
  EXPECT_EQ(pieces[2].first_line, 5);
  EXPECT_EQ(src.substr(pieces[3].offset, pieces[3].size), "---\t# t\n  ---\n");
  EXPECT_EQ(pieces[3].first_line, 6);
  EXPECT_EQ(src.substr(pieces[4].offset), "---");  // at the very end
  EXPECT_EQ(pieces[4].first_line, 8);
  std::size_t covered = 0;
  for (const auto& p : pieces) {
    EXPECT_EQ(p.offset, covered);
    covered += p.size;
  }
  EXPECT_EQ(covered, src.size());
  EXPECT_TRUE(yaml::document_start_at("---", 0));
  EXPECT_TRUE(yaml::document_start_at("---\r\n", 0));
  EXPECT_FALSE(yaml::document_start_at("--", 0));
  EXPECT_FALSE(yaml::document_start_at("----", 0));
}

TEST(YamlSplit, BalancesPiecesBySize) {
  std::string src;
  for (int i = 0; i < 1000; ++i) src += "---\nname: doc-" + std::to_string(i) + "\n";
  for (std::size_t n : {2u, 3u, 8u}) {
    const auto pieces = yaml::split_stream(src, n);
    ASSERT_EQ(pieces.size(), n);
    for (const auto& p : pieces) {
      EXPECT_GE(p.size, src.size() / n - 30);
      EXPECT_LE(p.size, src.size() / n + 30);
    }
  }
  EXPECT_TRUE(yaml::split_stream(src, 1).empty());
  EXPECT_TRUE(yaml::split_stream("a: 1\n", 8).empty());  // nowhere to cut
}

TEST(YamlSplit, LeavesStreamsWholeWhenACutCouldChangeTheirMeaning) {
  const std::string docs = "---\na: 1\n---\nb: 2\n";
  EXPECT_EQ(yaml::split_stream(docs, 8).size(), 2u);
  EXPECT_TRUE(yaml::split_stream("%YAML 1.2\n" + docs, 8).empty());            // directive
  EXPECT_TRUE(yaml::split_stream(docs + "%TAG ! tag:x,2000:\n---\n", 8).empty());
  EXPECT_TRUE(yaml::split_stream("\xEF\xBB\xBF%YAML 1.1\n" + docs, 8).empty());  // after a UTF-8 BOM
  EXPECT_EQ(yaml::split_stream("\xEF\xBB\xBF" + docs, 8).size(), 2u);
  EXPECT_TRUE(yaml::split_stream("\xFF\xFE" + docs, 8).empty());              // UTF-16
  EXPECT_TRUE(yaml::split_stream("a: 1\rb: 2\n" + docs, 8).empty());          // lone CR: a line for libyaml
  EXPECT_TRUE(yaml::split_stream("a: x\xC2\x85y\n" + docs, 8).empty());      // NEL
  EXPECT_TRUE(yaml::split_stream("a: x\xE2\x80\xA8y\n" + docs, 8).empty());  // LS
  EXPECT_TRUE(yaml::split_stream("a: x\xE2\x80\xA9y\n" + docs, 8).empty());  // PS
  EXPECT_EQ(yaml::split_stream("a: \xC2\xA9 \xE2\x80\x93\r\n" + docs, 8).size(), 3u);  // other UTF-8, CRLF: fine
  // Why: libyaml counts a NEL (even inside quotes) as a line break, so `b` is on its line 4, not 3.
  expect_doc(whole("a: \"x\xC2\x85y\"\n---\nb: 1\n"), 2, 1, "3: 4:1 {4:1 'b', 4:4 '1', }");
}

TEST(YamlSplit, ADocumentStartLineEndsABlockScalar) {
  // YAML 1.2 c-forbidden: the block scalar cannot continue past a `---` at column 0 (its indentation is >= 1).
  const std::string src = "a: |\n  line one\n---\nb: 2\n";
  expect_doc(whole(src), 2, 0, "1: 1:1 {1:1 'a', 1:4q 'line one\n', }");
  expect_agree(src, true);
  expect_agree("a: |+\n  kept\n\n---\nb: |-\n  x\n---\n", true);  // keep chomping: trailing breaks as at the end
  expect_agree("a: >\n  folded\n  text\n\n---\nb: 1\n", true);
  expect_agree("a: |\n  ---\n  indented, so content\n---\nb: 1\n", true);
  expect_agree("--- |\n  root literal\n---\n", true);
  expect_agree("--- |\nroot literal at column 0\n---\n", false, 2);
  expect_agree("- |\n two\n---\n- x\n", true);
}

TEST(YamlSplit, AQuotedScalarOrFlowCollectionOpenAcrossACutFailsBothWays) {
  // libyaml: "found unexpected document indicator" inside quotes; a flow collection ends at the `---`.
  const Parsed dq = whole("a: \"one\n---\ntwo\"\n");
  EXPECT_FALSE(dq.ok);
  EXPECT_NE(dq.error.message.find("document indicator"), std::string::npos) << dq.error.message;
  EXPECT_EQ(dq.error.line, 2);
  expect_agree("a: \"one\n---\ntwo\"\n", false);
  expect_agree("a: 'one\n---\ntwo'\n", false);
  expect_agree("a: \"one\\\n---\n\"\n", false);  // escaped line break
  expect_agree("a: [1,\n---\n2]\n", false);
  expect_agree("a: {b: 1,\n---\n}\n", false);
  expect_agree("[1,\n--- 2]\n", false);
}

TEST(YamlSplit, PlainScalarsCommentsAndDocumentEnds) {
  expect_agree("a: b\n  c\n---\nd: e\n", true);
  expect_agree("plain\nmulti line\n---\nnext\n", true);
  expect_agree("a: 1\n# comment\n---\n# c\nb: 2\n...\n", true);
  expect_agree("a: 1\n...\n---\nb: 2\n...\n# end\n", true);
  expect_agree("a: 1\n...\n# between\n---\nb: 2\n", true);
  expect_agree("a: 1\n...\nb: 2\n---\nc: 3\n", false);  // content after `...` needs a `---`
  expect_agree("---\n---\n---\n", true, 3);                // empty documents
  expect_agree("---\t\na: 1\n---\t# c\nb: 2\n", true);
  expect_agree("a: 1\r\n---\r\nb: \"x\r\n  y\"\r\n---\r\nc: |\r\n  z\r\n", true, 3);
  expect_agree("a: 1\nb\n---\nc: 1\n", false);        // a simple key without ':' before the cut
  expect_agree("--- &x a\n--- *x\n", false);          // anchors do not cross documents
  expect_agree("? complex\n: key\n---\n? a\n", true);
  expect_agree("a:\n  - b\n  -\n---\n- c\n", true);
}

TEST(YamlSplit, LinesAndColumnsCountFromThePieceStart) {
  const std::string src = "---\na: 1\n---\nlist:\n  - x\n  - 'y'\n";
  const Parsed p = in_pieces(src);
  expect_doc(p, 2, 1, "3: 4:1 {4:1 'list', 5:3 [5:5 'x', 6:5q 'y', ], }");
  EXPECT_EQ(p.docs, whole(src).docs);
  // Errors too, including encoding errors (reported by byte offset).
  Parsed bad;
  parse_into("---\na: \xFF\n", 10, bad);
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.error.line, 11);
  EXPECT_EQ(bad.error.column, 4);
  Parsed syntax;
  parse_into("---\na: [\n", 10, syntax);
  EXPECT_FALSE(syntax.ok);
  EXPECT_EQ(syntax.error.line, whole("x\n\n\n\n\n\n\n\n\n---\na: [\n").error.line);
}

}  // namespace
}  // namespace nfegress::policy
