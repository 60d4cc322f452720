// tests/policy/plan_groups_test.cpp — node/gateway mode, pure: namespaces that see the same policy share one
// plan (plans_by_client), and every namespace's shared plan enforces exactly what its own compile() would; the
// client list (CIDR=NAMESPACE, files with line numbers, overlaps, lookup by address).
#include <gtest/gtest.h>

#include "policy/clients.hpp"
#include "policy/compile.hpp"
#include "policy/plan_groups.hpp"
#include "semantics_fixtures.hpp"

namespace nfegress::policy {
namespace {
using namespace testing;

// Global: deny-all with a TLS route for everyone; team-a has its own EgressNetworks; team-b a route of its own
// on the global network (scoped to team-b); team-c, team-d, linkerd-egress itself see the global plan.
Resources fixture() {
  Resources r;
  r.egress("linkerd-egress", "internet", TrafficPolicy::Deny, std::vector<Network>{net("203.0.113.0/24")});
  r.route(RouteKind::TLS, "linkerd-egress", "everyone", "internet", 443, {"allowed.example"});
  r.egress("team-a", "local", TrafficPolicy::Allow, std::vector<Network>{net("198.51.100.0/24")});
  r.route(RouteKind::TLS, "team-b", "b-only", "linkerd-egress/internet", 443, {"b.example"});
  return r;
}

const SharedPlan* plan_of(const std::vector<SharedPlan>& v, const std::string& ns) {
  for (const auto& s : v)
    if (std::find(s.namespaces.begin(), s.namespaces.end(), ns) != s.namespaces.end()) return &s;
  return nullptr;
}

TEST(PlanGroups, NamespacesSeeingTheGlobalPolicyShareOnePlan) {
  const auto r = fixture();
  const std::vector<std::string> nss{"team-d", "team-a", "team-c", "team-b", "team-c", "linkerd-egress"};
  const auto plans = plans_by_client(r.rs, nss);
  ASSERT_EQ(plans.size(), 3u);
  EXPECT_EQ(plans[0].id, "global");
  EXPECT_EQ(plans[0].namespaces, (std::vector<std::string>{"linkerd-egress", "team-c", "team-d"}));
  EXPECT_EQ(plans[1].id, "ns_team-a");
  EXPECT_EQ(plans[1].namespaces, std::vector<std::string>{"team-a"});
  EXPECT_EQ(plans[2].id, "ns_team-b");
  EXPECT_EQ(plans[2].namespaces, std::vector<std::string>{"team-b"});
  EXPECT_EQ(plans[1].plan.networks.at(0).id(), "team-a/local");
  EXPECT_EQ(plans[2].plan.routes.size(), 2u);  // everyone's route and its own
  EXPECT_EQ(plans[0].plan.routes.size(), 1u);
}

// The property the kernel relies on: for every namespace, its shared plan enforces what compile() gives it.
TEST(PlanGroups, EverySharedPlanIsTheNamespacesOwnPlan) {
  auto r = fixture();
  r.route(RouteKind::HTTP, "team-e", "e-local-parent", "internet", 80);   // parent team-e/internet: not a candidate
  r.route(RouteKind::HTTP, "linkerd-egress", "all-http", "internet", 80, {"h.example"});
  const std::vector<std::string> nss{"team-a", "team-b", "team-c", "team-e", "linkerd-egress", "x"};
  const auto plans = plans_by_client(r.rs, nss);
  for (const auto& ns : nss) {
    const SharedPlan* s = plan_of(plans, ns);
    ASSERT_NE(s, nullptr) << ns;
    EXPECT_TRUE(same_enforcement(s->plan, compile(r.rs, ns))) << ns << " in " << s->id;
  }
  EXPECT_EQ(plans.size(), 3u);
}

// A namespace whose own route changes nothing (dropped by a filter) compiles to the global plan: merged.
TEST(PlanGroups, KeysThatCompileAlikeAreMerged) {
  auto r = fixture();
  RouteRule mirror;
  mirror.filters.push_back(Filter{"RequestMirror"});
  r.route(RouteKind::HTTP, "team-f", "mirrored", "linkerd-egress/internet", 80, {}, {mirror});
  EXPECT_EQ(plan_key(r.rs, "team-f", "linkerd-egress"), "team-f");
  const auto plans = plans_by_client(r.rs, {"team-c", "team-f"});
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_EQ(plans[0].id, "global");
  EXPECT_EQ(plans[0].namespaces, (std::vector<std::string>{"team-c", "team-f"}));
}

TEST(PlanGroups, SameEnforcementIgnoresNamespaceAndWarnings) {
  const auto r = fixture();
  Plan a = compile(r.rs, "team-c"), b = compile(r.rs, "team-d");
  b.diagnostics.push_back(Diagnostic{});
  EXPECT_TRUE(same_enforcement(a, b));
  b.networks[0].ports[0].verdict = Verdict::Allow;
  EXPECT_FALSE(same_enforcement(a, b));
  EXPECT_FALSE(same_enforcement(compile(r.rs, "team-a"), a));
}

TEST(Clients, ParsesCidrEqualsNamespace) {
  std::string err;
  auto c = parse_client(" 192.0.2.0/28 = team-a ", "--client", err);
  ASSERT_TRUE(c) << err;
  EXPECT_EQ(format_prefix(c->prefix), "192.0.2.0/28");
  EXPECT_EQ(c->ns, "team-a");
  c = parse_client("2001:db8::5=b", "--client", err);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->prefix.len, 128);
  EXPECT_FALSE(parse_client("192.0.2.1", "--client", err));
  EXPECT_EQ(err, "--client: '192.0.2.1' is not CIDR=NAMESPACE");
  EXPECT_FALSE(parse_client("192.0.2.300=a", "--client", err));
  EXPECT_FALSE(parse_client("192.0.2.1=Team_A", "--client", err));
  EXPECT_NE(err.find("not a namespace name"), std::string::npos);
}

TEST(Clients, FileErrorsNameFileAndLine) {
  std::vector<Client> out;
  const auto errors = parse_clients_file("# gateway clients\n192.0.2.0/28=a\n\nbogus\n198.51.100.7=-b\n2001:db8::/64=c",
                                         "clients.txt", out);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "clients.txt:4: 'bogus' is not CIDR=NAMESPACE");
  EXPECT_EQ(errors[1].rfind("clients.txt:5: '-b' is not a namespace name", 0), 0u) << errors[1];
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].where, "clients.txt:2");
  EXPECT_EQ(out[1].ns, "c");
}

TEST(Clients, OverlapsAreErrorsAndLookupFindsTheOwner) {
  std::string err;
  std::vector<Client> v{*parse_client("192.0.2.0/24=a", "--client", err), *parse_client("198.51.100.7=b", "f:1", err),
                        *parse_client("192.0.2.16/28=c", "f:2", err), *parse_client("198.51.100.7=b", "f:3", err),
                        *parse_client("2001:db8::/64=d", "f:4", err)};
  const auto errors = normalize_clients(v);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "f:2: 192.0.2.16/28=c overlaps 192.0.2.0/24=a (--client)");
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(find_client(v, ip("192.0.2.200"))->ns, "a");
  EXPECT_EQ(find_client(v, ip("198.51.100.7"))->ns, "b");
  EXPECT_EQ(find_client(v, ip("198.51.100.8")), nullptr);
  EXPECT_EQ(find_client(v, ip("2001:db8::1"))->ns, "d");
  EXPECT_EQ(find_client(v, ip("2001:db8:1::1")), nullptr);
  EXPECT_EQ(find_client(v, ip("10.0.0.1")), nullptr);
}

}  // namespace
}  // namespace nfegress::policy
