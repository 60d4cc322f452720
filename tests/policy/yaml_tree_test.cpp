// tests/policy/yaml_tree_test.cpp — the YAML tree's memory: scalar text in the document's TextArena (views stay
// valid while the Document lives, also after it is moved), line/column per node, long scalars, aliases sharing
// nodes, and the streaming parse that reuses one document's memory for the next.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "policy/text_arena.hpp"
#include "policy/yaml_tree.hpp"

namespace nfegress::policy {
namespace {

TEST(TextArena, StoresCopiesAndKeepsThemAcrossBlocks) {
  TextArena a;
  std::vector<std::string_view> views;
  std::vector<std::string> want;
  for (int i = 0; i < 5000; ++i) {  // > several blocks of text
    want.push_back("2001:db8:" + std::to_string(i) + "::/64");
    views.push_back(a.store(want.back()));
  }
  const std::string big(3 * TextArena::kBlockSize, 'x');  // longer than a block: a block of its own
  const auto big_view = a.store(big);
  views.push_back(a.store("after"));
  EXPECT_GT(a.blocks(), 2u);
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(views[i], want[i]);
  EXPECT_EQ(big_view, big);
  EXPECT_EQ(views.back(), "after");
  EXPECT_TRUE(a.store("").empty());

  TextArena moved = std::move(a);  // blocks do not move
  EXPECT_EQ(views[0], want[0]);
  moved.clear();
  EXPECT_EQ(moved.blocks(), 1u);
  EXPECT_EQ(moved.store("reused"), "reused");
}

TEST(YamlTree, ScalarTextAndLocationsSurviveMovingTheDocuments) {
  const std::string long_cidr = "2001:0db8:0000:0000:0000:ff00:0042:8329/128";  // longer than SSO
  const std::string long_text(40000, 'q');                                     // longer than an arena block
  const std::string src = "a: 1\n---\nkey: \"" + long_cidr + "\"\nlist:\n  - plain\n  - '" + long_text +
                          "'\n  - \"\"\n";
  std::vector<yaml::Document> docs;
  yaml::ParseError err;
  ASSERT_TRUE(yaml::parse_stream(src, docs, err)) << err.message;
  ASSERT_EQ(docs.size(), 2u);
  std::vector<yaml::Document> moved = std::move(docs);  // the nodes' views must follow their text
  const auto& d = moved[1];
  EXPECT_EQ(d.line, 2);
  std::uint32_t key = 0, list = 0;
  ASSERT_TRUE(d.find(d.root, "key", key));
  EXPECT_EQ(d.at(key).value, long_cidr);
  EXPECT_TRUE(d.at(key).quoted);
  EXPECT_EQ(d.at(key).line, 3);
  EXPECT_EQ(d.at(key).column, 6);
  ASSERT_TRUE(d.find(d.root, "list", list));
  ASSERT_EQ(d.at(list).count, 3u);
  EXPECT_EQ(d.at(d.kid(d.at(list), 0)).value, "plain");
  EXPECT_EQ(d.at(d.kid(d.at(list), 0)).line, 5);
  EXPECT_EQ(d.at(d.kid(d.at(list), 1)).value, long_text);
  EXPECT_EQ(d.at(d.kid(d.at(list), 1)).line, 6);
  EXPECT_EQ(d.at(d.kid(d.at(list), 2)).value, "");
  EXPECT_EQ(yaml::resolve(d.at(d.kid(d.at(list), 2))), yaml::ScalarTag::String);  // quoted empty: not null
  std::uint32_t a = 0;
  ASSERT_TRUE(moved[0].find(moved[0].root, "a", a));
  EXPECT_EQ(moved[0].at(a).value, "1");
}

TEST(YamlTree, AliasesShareTheAnchoredNodeAndItsText) {
  std::vector<yaml::Document> docs;
  yaml::ParseError err;
  ASSERT_TRUE(yaml::parse_stream("x: &c \"2001:db8:1234:5678::/64\"\ny: *c\nz: &m {k: v}\nw: *m\n", docs, err));
  const auto& d = docs.at(0);
  std::uint32_t x = 0, y = 0, z = 0, w = 0;
  ASSERT_TRUE(d.find(d.root, "x", x) && d.find(d.root, "y", y) && d.find(d.root, "z", z) && d.find(d.root, "w", w));
  EXPECT_EQ(x, y);
  EXPECT_EQ(z, w);
  EXPECT_EQ(d.at(y).value, "2001:db8:1234:5678::/64");
}

TEST(YamlTree, StreamingHandsOutEachDocumentAndReusesItsMemory) {
  std::string src;
  for (int i = 0; i < 300; ++i)
    src += "---\nname: doc-" + std::to_string(i) + "-with-a-name-longer-than-sso\nn: " + std::to_string(i) + "\n";
  std::vector<std::string> names;
  std::vector<int> lines;
  yaml::ParseError err;
  const bool ok = yaml::parse_stream(
      src,
      [&](yaml::Document& d) {
        std::uint32_t n = 0;
        ASSERT_TRUE(d.find(d.root, "name", n));
        names.emplace_back(d.at(n).value);
        lines.push_back(d.at(n).line);
        EXPECT_EQ(d.nodes.size(), 5u);  // map, 2 keys, 2 values: nothing left from earlier documents
      },
      err);
  ASSERT_TRUE(ok) << err.message;
  ASSERT_EQ(names.size(), 300u);
  EXPECT_EQ(names[0], "doc-0-with-a-name-longer-than-sso");
  EXPECT_EQ(names[299], "doc-299-with-a-name-longer-than-sso");
  EXPECT_EQ(lines[0], 2);
  EXPECT_EQ(lines[299], 3 * 299 + 2);
}

TEST(YamlTree, StreamingStopsAtASyntaxErrorAfterHandingOutEarlierDocuments) {
  int seen = 0;
  yaml::ParseError err;
  EXPECT_FALSE(yaml::parse_stream("a: 1\n---\nb: [1, 2\n", [&](yaml::Document&) { ++seen; }, err));
  EXPECT_EQ(seen, 1);
  EXPECT_EQ(err.line, 4);
  EXPECT_FALSE(err.message.empty());
}

}  // namespace
}  // namespace nfegress::policy
