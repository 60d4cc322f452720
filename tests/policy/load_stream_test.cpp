// tests/policy/load_stream_test.cpp — the parallel load of one large stream (load_stream.cpp) gives exactly the
// sequential result: resources with their input order and field locations, diagnostics in order, skipped notes,
// the first syntax error and the documents kept before it. Generated multi-megabyte policies with routes, bad
// values, CRLF line ends, block literals holding `---`, no leading `---`, trailing `...`, and an error in the
// middle; more threads and pieces than cores so that pieces finish out of order.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "policy/load_internal.hpp"
#include "policy/yaml_split.hpp"
#include "tests/policy/load_test_util.hpp"

namespace nfegress::policy {
namespace {

struct Shape {
  int networks = 2000;
  int cidrs = 40;
  bool crlf = false;
  bool leading_dashes = true;
  bool trailing_dots = false;
  int syntax_error_at = -1;  // network index whose document is broken
};

std::string generate(const Shape& s) {
  std::string y;
  for (int n = 0; n < s.networks; ++n) {
    const std::string id = std::to_string(n);
    if (n > 0 || s.leading_dashes) y += "---\n";
    y += "apiVersion: policy.linkerd.io/v1alpha1\nkind: EgressNetwork\nmetadata:\n  name: net" + id +
         "\n  namespace: ns" + std::to_string(n % 7) + "\n";
    if (n % 5 == 0) y += "  creationTimestamp: \"2024-01-0" + std::to_string(1 + n % 9) + "T00:00:00Z\"\n";
    if (n % 11 == 0) y += "  creationTimestamp: yesterday\n";  // a loader diagnostic
    if (n % 3 == 0) y += "  annotations:\n    note: |\n      text\n      ---\n      more\n";  // content, not a cut
    y += "spec:\n  trafficPolicy: " + std::string(n % 2 ? "Allow" : "Deny") + "\n  networks:\n";
    for (int i = 0; i < s.cidrs; ++i) {
      y += "  - cidr: \"2001:db8:" + std::to_string(n) + ":" + std::to_string(i) + "::/64\"\n";
      if (i % 10 == 0) y += "    except: [\"2001:db8:" + std::to_string(n) + ":" + std::to_string(i) + "::/80\"]\n";
    }
    if (n % 13 == 0) y += "  - cidr: [not, a, string]\n";
    if (n == s.syntax_error_at) y += "  - {cidr: \"2001:db8::/64\"\n";
    if (n % 4 == 0) {
      y += "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r" + id +
           ", namespace: ns" + std::to_string(n % 7) + "}\nspec:\n  parentRefs: [{name: net" + id +
           ", kind: EgressNetwork, group: policy.linkerd.io, port: 80}]\n  hostnames: [\"A" + id +
           ".example.com\"]\n  rules:\n  - matches: [{path: {type: PathPrefix, value: /x}}]\n    backendRefs: "
           "[{name: net" + id + ", kind: EgressNetwork, group: policy.linkerd.io, port: 80}]\n";
    }
    if (n % 9 == 0) y += "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm" + id + "}\ndata:\n  k: |\n    v\n";
    if (n % 17 == 0) y += "---\n# only a comment\n";
    if (n % 19 == 0) y += "...\n";
    if (n % 23 == 0) y += "---\nkind: List\napiVersion: v1\nitems:\n- apiVersion: policy.linkerd.io/v1alpha1\n  kind: "
                          "EgressNetwork\n  metadata: {name: listed" + id + "}\n  spec: {networks: [{cidr: 192.0.2.0/24}]}\n";
  }
  if (s.trailing_dots) y += "...\n";
  if (!s.crlf) return y;
  std::string crlf;
  crlf.reserve(y.size() + y.size() / 16);
  for (char c : y) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  return crlf;
}

struct Loaded {
  LoadResult out;
  std::uint64_t order = 0;
  bool ok = false;
  yaml::ParseError error;
};

// Loads after an earlier input (one resource, order 7 next), as load_paths does for a second file.
Loaded run(std::string_view bytes, const detail::StreamPlan* plan) {
  Loaded r;
  r.out.resources.networks.emplace_back().meta.name = "from-an-earlier-file";
  r.order = 7;
  const std::string file = "big.yaml";
  const LoadOptions options;
  detail::LoadContext ctx{file, options, r.order, r.out};
  r.ok = plan ? detail::load_stream(ctx, bytes, r.error, *plan) : detail::load_stream_sequential(ctx, bytes, r.error);
  return r;
}

void expect_same(const Loaded& par, const Loaded& seq) {
  EXPECT_EQ(par.ok, seq.ok);
  EXPECT_EQ(par.error.message, seq.error.message);
  EXPECT_EQ(par.error.line, seq.error.line);
  EXPECT_EQ(par.error.column, seq.error.column);
  EXPECT_EQ(par.order, seq.order);
  const auto& a = par.out.resources;
  const auto& b = seq.out.resources;
  ASSERT_EQ(a.networks.size(), b.networks.size());
  ASSERT_EQ(a.routes.size(), b.routes.size());
  for (std::size_t i = 0; i < a.networks.size(); ++i)
    ASSERT_TRUE(a.networks[i] == b.networks[i]) << "network " << i << " " << a.networks[i].meta.name;
  for (std::size_t i = 0; i < a.routes.size(); ++i)
    ASSERT_TRUE(a.routes[i] == b.routes[i]) << "route " << i << " " << a.routes[i].meta.name;
  EXPECT_EQ(testing::formatted(par.out.diagnostics), testing::formatted(seq.out.diagnostics));
  EXPECT_TRUE(par.out.diagnostics == seq.out.diagnostics);
  EXPECT_EQ(par.out.skipped, seq.out.skipped);
}

void expect_parallel_equals_sequential(const std::string& bytes, bool must_cut = true) {
  const Loaded seq = run(bytes, nullptr);
  if (must_cut) {
    EXPECT_GE(yaml::split_stream(bytes, 16).size(), 16u);
  }
  for (const detail::StreamPlan plan : {detail::StreamPlan{0, 4, 16}, detail::StreamPlan{0, 3, 0},
                                        detail::StreamPlan{}}) {
    SCOPED_TRACE("threads " + std::to_string(plan.threads) + " pieces " + std::to_string(plan.pieces));
    expect_same(run(bytes, &plan), seq);
  }
}

TEST(LoadStream, LargePolicyParallelEqualsSequential) {
  const std::string bytes = generate({});
  ASSERT_GE(bytes.size(), std::size_t{1} << 20);
  const Loaded seq = run(bytes, nullptr);
  ASSERT_TRUE(seq.ok) << seq.error.message;
  EXPECT_GT(seq.out.resources.networks.size(), 2000u);
  EXPECT_EQ(seq.out.resources.routes.size(), 500u);
  EXPECT_FALSE(seq.out.diagnostics.empty());
  EXPECT_FALSE(seq.out.skipped.empty());
  expect_parallel_equals_sequential(bytes);
}

TEST(LoadStream, CrlfNoLeadingDashesTrailingDots) {
  Shape s;
  s.networks = 800;
  s.crlf = true;
  s.leading_dashes = false;
  s.trailing_dots = true;
  expect_parallel_equals_sequential(generate(s));
}

TEST(LoadStream, SyntaxErrorInTheMiddleKeepsTheSameDocumentsAndError) {
  Shape s;
  s.syntax_error_at = 1234;
  const std::string bytes = generate(s);
  const Loaded seq = run(bytes, nullptr);
  ASSERT_FALSE(seq.ok);
  EXPECT_GT(seq.error.line, 1000);
  EXPECT_EQ(seq.out.resources.networks.back().meta.name, "net1233");  // the documents before the error
  expect_parallel_equals_sequential(bytes);
}

TEST(LoadStream, QuotedScalarAcrossADocumentStartLine) {
  std::string bytes = generate({});
  const auto mid = bytes.find("---\n", bytes.size() / 2);
  bytes.insert(mid, "  x: \"open\n");  // libyaml: unexpected document indicator inside the quotes
  expect_parallel_equals_sequential(bytes);
  EXPECT_FALSE(run(bytes, nullptr).ok);
}

TEST(LoadStream, LiteralEndingAtADocumentStartLine) {
  std::string bytes = generate({});
  for (std::size_t at = bytes.find("---\n", 100000); at != std::string::npos && at < bytes.size() / 2;
       at = bytes.find("---\n", at + 300000))
    bytes.insert(at, "zz: |\n  literal\n---\n# comment\n  indented\n");
  expect_parallel_equals_sequential(bytes);
}

TEST(LoadStream, StreamsThatStayWholeStillLoad) {
  const std::string docs = generate({});
  for (const std::string prefix : {"%YAML 1.1\n", "a: x\rb: 2\n"}) {
    const std::string bytes = prefix + docs;
    EXPECT_TRUE(yaml::split_stream(bytes, 16).empty());
    expect_parallel_equals_sequential(bytes, false);
  }
}

TEST(LoadStream, LoadBufferUsesTheSameResultAboveTheThreshold) {
  const std::string bytes = generate({});
  const auto buffered = load_buffer("big.yaml", bytes);
  LoadResult seq;
  std::uint64_t order = 0;
  const std::string file = "big.yaml";
  const LoadOptions options;
  detail::LoadContext ctx{file, options, order, seq};
  yaml::ParseError err;
  ASSERT_TRUE(detail::load_stream_sequential(ctx, bytes, err));
  EXPECT_TRUE(buffered.resources == seq.resources);
  EXPECT_TRUE(buffered.diagnostics == seq.diagnostics);
  EXPECT_EQ(buffered.skipped, seq.skipped);
}

}  // namespace
}  // namespace nfegress::policy
