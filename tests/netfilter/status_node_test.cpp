// tests/netfilter/status_node_test.cpp — init/status_node.cpp's pure half: the clients `status` reads back from a
// programmed node table's clients maps (issue 18), as canonical lines the kernel read-back gives.
#include <gtest/gtest.h>

#include <algorithm>

#include "init/status_node.hpp"

namespace nfegress::cli {
namespace {

policy::IpPrefix pfx(const char* s) { return *policy::parse_prefix(s); }

TEST(StatusNode, ProgrammedClientsAreReadBackFromTheIntervalMaps) {
  netfilter::Canonical c;
  c.lines = {
      "elem clients4 key=c0000200 goto ns_team-a", "elem clients4 key=c0000210 end",  // 192.0.2.0/28
      "elem clients4 key=c0000214 goto global",    "elem clients4 key=c0000215 end",  // 192.0.2.20
      "elem clients4 key=c0000215 goto ns_team-b", "elem clients4 key=c0000216 end",  // 192.0.2.21, adjacent
      "elem clients4 key=c0000220 accept",         "elem clients4 key=c0000221 end",  // no plan: left out
      "elem clients4 key=c0000230 goto ns_x",      "elem clients4 key=c0000233 end",  // 3 addresses: no prefix
      "elem clients6 key=20010db8000c00000000000000000000 goto global",
      "elem clients6 key=20010db8000c00010000000000000000 end",  // 2001:db8:c::/64
      "elem ns_team-a_ports_0 key=238c accept",
  };
  std::sort(c.lines.begin(), c.lines.end());  // canonical listings are sorted
  const auto got = programmed_clients(c);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].prefix, pfx("192.0.2.0/28"));
  EXPECT_EQ(got[0].ns, "team-a");
  EXPECT_EQ(got[1].prefix, pfx("192.0.2.20/32"));
  EXPECT_EQ(got[1].ns, kGlobalPlanClient);
  EXPECT_EQ(got[2].prefix, pfx("192.0.2.21/32"));
  EXPECT_EQ(got[2].ns, "team-b");
  EXPECT_EQ(got[3].prefix, pfx("2001:db8:c::/64"));
  EXPECT_EQ(got[3].ns, kGlobalPlanClient);
}

TEST(StatusNode, AnIntervalToTheEndOfTheSpaceHasNoEndElement) {
  netfilter::Canonical c;
  c.lines = {"elem clients4 key=ff000000 goto ns_last"};
  const auto got = programmed_clients(c);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].prefix, pfx("255.0.0.0/8"));
}

}  // namespace
}  // namespace nfegress::cli
