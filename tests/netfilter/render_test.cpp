// tests/netfilter/render_test.cpp — golden text/JSON exports of hand-built plans. The goldens are also fed to
// `nft -c -f` / `nft -j -c -f` by tests/netns/init_roundtrip.sh. Regenerate with NFEGRESS_UPDATE_GOLDEN=1.
#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "golden.hpp"
#include "netfilter/render.hpp"

namespace nfegress::netfilter {
namespace {

using testing::expect_golden;

struct Case {
  const char* name;
  policy::Plan (*plan)();
  QueueImpl queue;
};

const Case kCases[] = {
    {"small_compat", testing::small_plan, QueueImpl::Compat},
    {"small_native", testing::small_plan, QueueImpl::Native},
    {"everything_compat", testing::everything_plan, QueueImpl::Compat},
    {"dns_compat", testing::dns_plan, QueueImpl::Compat},
    {"dns_native", testing::dns_plan, QueueImpl::Native},
    {"audit_native", testing::audit_plan, QueueImpl::Native},
};

TEST(Render, GoldenExports) {
  for (const auto& c : kCases) {
    const auto rs = build_ruleset(c.plan(), c.queue);
    expect_golden(std::string(c.name) + ".nft", render_text(rs));
    expect_golden(std::string(c.name) + ".check.nft", render_text(rs, {.checkable = true}));
    expect_golden(std::string(c.name) + ".json", render_json(rs).dump(1) + "\n");
    expect_golden(std::string(c.name) + ".check.json", render_json(rs, {.checkable = true}).dump(1) + "\n");
  }
}

TEST(Render, ElementForms) {
  const auto rs = build_ruleset(testing::everything_plan(), QueueImpl::Compat);
  const auto text = render_text(rs);
  // 0.0.0.0-9.255.255.255 is not one prefix; 11.0.0.0-255.255.255.255 reaches the top of the space.
  EXPECT_NE(text.find("0.0.0.0-9.255.255.255 : goto en_0"), std::string::npos) << text;
  EXPECT_NE(text.find("11.0.0.0-255.255.255.255 : goto en_0"), std::string::npos) << text;
  const auto small = render_text(build_ruleset(testing::small_plan(), QueueImpl::Compat));
  EXPECT_NE(small.find("203.0.113.0/25 : goto en_0"), std::string::npos) << small;
  EXPECT_NE(small.find("80 : goto deny"), std::string::npos) << small;
  EXPECT_NE(small.find("443 : goto inspect"), std::string::npos) << small;
  EXPECT_NE(small.find("5432 : accept"), std::string::npos) << small;
}

TEST(Render, CompatQueueIsExplainedAndLeftOutOnlyWhenCheckable) {
  const auto rs = build_ruleset(testing::small_plan(), QueueImpl::Compat);
  const auto text = render_text(rs);
  EXPECT_NE(text.find("xt NFQUEUE"), std::string::npos);
  EXPECT_NE(text.find("\t\tqueue to 100 comment"), std::string::npos) << text;
  const auto check = render_text(rs, {.checkable = true});
  EXPECT_EQ(check.find("\t\tqueue to 100"), std::string::npos) << check;
  EXPECT_NE(check.find("# queue to 100"), std::string::npos) << check;
  EXPECT_NE(render_json(rs).dump().find("\"xt\""), std::string::npos);
  EXPECT_EQ(render_json(rs, {.checkable = true}).dump().find("\"xt\""), std::string::npos);
}

TEST(Render, NativeQueueRangeAndBypass) {
  const auto rs = build_ruleset(testing::everything_plan(), QueueImpl::Native);
  EXPECT_NE(render_text(rs).find("queue flags bypass to 100-103"), std::string::npos);
  EXPECT_NE(render_json(rs).dump().find(R"({"queue":{"flags":"bypass","num":{"range":[100,103]}}})"),
            std::string::npos)
      << render_json(rs).dump();
}

}  // namespace
}  // namespace nfegress::netfilter
