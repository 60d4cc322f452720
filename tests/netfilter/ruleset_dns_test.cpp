// tests/netfilter/ruleset_dns_test.cpp — the DNS answer queue of the kernel contract (netfilter/ruleset_dns.cpp):
// chain dns_answers on the input hook only with name binding on and a resolver to learn from, one set and two
// rules per family that has one, the bypass flag whatever --fail-open says, answers on lo and from other
// servers never queued (walked with ruleset_eval.hpp), the renderers' text, the canonical summary status prints,
// and live updates that add or remove the chain without a table rebuild.
#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "netfilter/batch.hpp"
#include "netfilter/canonical.hpp"
#include "netfilter/render.hpp"
#include "netfilter/ruleset.hpp"
#include "ruleset_eval.hpp"

namespace nfegress::netfilter {
namespace {

using Out = testing::Outcome;
using NameBinding = policy::KernelOptions::NameBinding;

testing::Packet answer(const char* from, std::uint16_t sport, bool tcp) {
  testing::Packet p;
  const auto a = *policy::parse_ip(from);
  p.family = a.family;
  p.saddr = a.value;
  p.sport = sport;
  p.tcp = tcp;
  p.input = true;
  p.daddr = a.family == policy::Family::V4 ? testing::v4("192.0.2.1") : testing::v6("2001:db8:1::1");
  p.dport = 40000;
  return p;
}
Out outcome(const Ruleset& rs, const testing::Packet& p) {
  const auto w = testing::walk(rs, p);
  EXPECT_TRUE(w.ok()) << w.path.back();
  return w.outcome;
}

std::vector<const Action*> queues(const Chain& c) {
  std::vector<const Action*> out;
  for (const auto& r : c.rules)
    for (const auto& a : r.actions)
      if (a.kind == Action::Kind::Queue) out.push_back(&a);
  return out;
}

TEST(DnsAnswers, NoChainWhenOffOrWithoutServers) {
  auto off = testing::dns_plan();
  off.kernel.name_binding = NameBinding::Off;
  auto none = testing::small_plan();  // resolve, no server
  for (const auto* p : {&off, &none}) {
    const auto rs = build_ruleset(*p, QueueImpl::Native);
    EXPECT_EQ(rs.find_chain(kDnsChain), nullptr);
    EXPECT_EQ(rs.find_set("dns4"), nullptr);
    EXPECT_EQ(rs.find_set("dns6"), nullptr);
    EXPECT_EQ(outcome(rs, answer("198.51.100.53", 53, false)), Out::Accept);
  }
  EXPECT_EQ(build_ruleset(off, QueueImpl::Native).dns_note,
            "name binding off: an allowed SNI or Host reaches any address of its network (upstream Linkerd's "
            "behaviour)");
  EXPECT_NE(build_ruleset(none, QueueImpl::Native).dns_note.find("no DNS server to learn from"), std::string::npos);
  // Off leaves the table exactly as before name binding existed.
  auto before = build_ruleset(off, QueueImpl::Native);
  auto plain = build_ruleset(testing::small_plan(), QueueImpl::Native);
  before.dns_note = plain.dns_note = "";
  EXPECT_EQ(before, plain);
}

TEST(DnsAnswers, InputChainWithBothFamilies) {
  const auto rs = build_ruleset(testing::dns_plan(), QueueImpl::Native);
  const Chain* c = rs.find_chain(kDnsChain);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->base);
  EXPECT_EQ(c->hook, Chain::Hook::Input);
  ASSERT_EQ(c->rules.size(), 5u);  // lo, then udp + tcp per family
  EXPECT_EQ(rule_text(c->rules[0]), "iif \"lo\" accept");
  EXPECT_EQ(rule_text(c->rules[1]), "ip saddr @dns4 udp sport 53 ct state established counter queue flags bypass to 101");
  EXPECT_EQ(rule_text(c->rules[2]), "ip saddr @dns4 tcp sport 53 ct state established counter queue flags bypass to 101");
  EXPECT_EQ(rule_text(c->rules[3]), "ip6 saddr @dns6 udp sport 53 ct state established counter queue flags bypass to 101");
  EXPECT_EQ(rule_text(c->rules[4]), "ip6 saddr @dns6 tcp sport 53 ct state established counter queue flags bypass to 101");
  ASSERT_NE(rs.find_set("dns4"), nullptr);
  ASSERT_NE(rs.find_set("dns6"), nullptr);
  EXPECT_EQ(rs.find_set("dns4")->elements.size(), 1u);
  EXPECT_EQ(rs.find_set("dns6")->elements[0].lo, testing::v6("2001:db8:53::53"));
  // Nothing else moved: the output chain and the flow queue are those of the plan without DNS.
  const auto plain = build_ruleset(testing::small_plan(), QueueImpl::Native);
  EXPECT_EQ(*rs.find_chain("output"), *plain.find_chain("output"));
  EXPECT_EQ(*rs.find_chain("inspect"), *plain.find_chain("inspect"));
}

TEST(DnsAnswers, BypassAlwaysWhateverFailOpenSays) {
  for (const bool fail_open : {false, true})
    for (const auto q : {QueueImpl::Native, QueueImpl::Compat}) {
      auto p = testing::dns_plan();
      p.kernel.fail_open = fail_open;
      const auto rs = build_ruleset(p, q);
      const auto qs = queues(*rs.find_chain(kDnsChain));
      ASSERT_EQ(qs.size(), 4u);
      for (const auto* a : qs) {
        EXPECT_TRUE(a->bypass) << "fail_open " << fail_open;
        EXPECT_EQ(a->queue_num, 101);
        EXPECT_EQ(a->queue_total, 1);
        EXPECT_EQ(a->queue_impl, q);
      }
      // The flow queue still follows --fail-open.
      for (const auto* a : queues(*rs.find_chain("inspect"))) EXPECT_EQ(a->bypass, fail_open);
    }
}

TEST(DnsAnswers, OnlyAnswersFromTheServersAreQueued) {
  const auto rs = build_ruleset(testing::dns_plan(), QueueImpl::Compat);
  EXPECT_EQ(outcome(rs, answer("198.51.100.53", 53, false)), Out::Queue);
  EXPECT_EQ(outcome(rs, answer("198.51.100.53", 53, true)), Out::Queue);
  EXPECT_EQ(outcome(rs, answer("2001:db8:53::53", 53, false)), Out::Queue);
  EXPECT_EQ(outcome(rs, answer("2001:db8:53::53", 53, true)), Out::Queue);
  EXPECT_EQ(outcome(rs, answer("198.51.100.54", 53, false)), Out::Accept);   // another server
  EXPECT_EQ(outcome(rs, answer("2001:db8:53::54", 53, true)), Out::Accept);
  EXPECT_EQ(outcome(rs, answer("198.51.100.53", 5353, false)), Out::Accept);  // not port 53
  auto lo = answer("198.51.100.53", 53, false);
  lo.iif_lo = true;  // written to lo: forgeable, never learned
  EXPECT_EQ(outcome(rs, lo), Out::Accept);
  for (bool tcp : {false, true}) {
    auto unsolicited = answer("198.51.100.53", 53, tcp);
    unsolicited.ct_established = false;  // no query of the namespace's: a host spoofing the resolver's address
    EXPECT_EQ(outcome(rs, unsolicited), Out::Accept) << "tcp=" << tcp;
  }
}

TEST(DnsAnswers, AFamilyWithoutServerHasNeitherSetNorRules) {
  auto p = testing::dns_plan();
  p.kernel.dns_servers = {*policy::parse_ip("198.51.100.53"), *policy::parse_ip("198.51.100.53"),
                          *policy::parse_ip("192.0.2.53")};
  const auto rs = build_ruleset(p, QueueImpl::Native);
  EXPECT_EQ(rs.find_set("dns6"), nullptr);
  ASSERT_NE(rs.find_set("dns4"), nullptr);
  EXPECT_EQ(rs.find_set("dns4")->elements.size(), 2u);  // sorted, the duplicate once
  EXPECT_EQ(rs.find_set("dns4")->elements[0].lo, testing::v4("192.0.2.53"));
  EXPECT_EQ(rs.find_chain(kDnsChain)->rules.size(), 3u);
  EXPECT_EQ(render_text(rs).find("ip6 saddr"), std::string::npos);
}

TEST(DnsAnswers, QueueNumber) {
  auto p = testing::dns_plan();
  p.kernel.dns_queue = 0;  // unfinished options: the queue after the flow queues
  p.kernel.queue_total = 4;
  EXPECT_EQ(dns_queue_num(p.kernel), 104);
  EXPECT_EQ(queues(*build_ruleset(p, QueueImpl::Native).find_chain(kDnsChain))[0]->queue_num, 104);
  p.kernel.dns_queue = 7;
  EXPECT_EQ(queues(*build_ruleset(p, QueueImpl::Native).find_chain(kDnsChain))[0]->queue_num, 7);
}

TEST(DnsAnswers, RenderedTextAndJson) {
  const auto rs = build_ruleset(testing::dns_plan(), QueueImpl::Native);
  const auto text = render_text(rs);
  EXPECT_NE(text.find("\tchain dns_answers {\n\t\ttype filter hook input priority filter; policy accept;\n\t\tiif "
                      "\"lo\" accept comment"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# name binding resolve: DNS answers from 198.51.100.53, 2001:db8:53::53 (replies from udp and tcp "
                      "port 53, never on lo) are counted and queued to 101 with bypass"),
            std::string::npos)
      << text;
  const auto json = render_json(rs).dump();
  EXPECT_NE(json.find(R"("hook":"input")"), std::string::npos);
  EXPECT_NE(json.find(R"({"match":{"left":{"payload":{"field":"saddr","protocol":"ip"}},"op":"==","right":"@dns4"}},)"
                      R"({"match":{"left":{"payload":{"field":"sport","protocol":"udp"}},"op":"==","right":53}},)"
                      R"({"match":{"left":{"ct":{"key":"state"}},"op":"in","right":"established"}},)"
                      R"({"counter":{"bytes":0,"packets":0}},{"queue":{"flags":"bypass","num":101}})"),
            std::string::npos)
      << json;
}

TEST(DnsAnswers, CanonicalSummaryNamesServersQueueAndBypass) {
  for (const auto q : {QueueImpl::Native, QueueImpl::Compat}) {
    auto p = testing::dns_plan();
    p.kernel.dns_queue = 4242;
    const auto s = summarize(canonical(build_ruleset(p, q)));
    EXPECT_TRUE(s.dns);
    EXPECT_EQ(s.dns_servers, (std::vector<std::string>{"198.51.100.53", "2001:db8:53::53"}));
    ASSERT_TRUE(s.dns_queue) << queue_impl_name(q);
    EXPECT_EQ(*s.dns_queue, 4242) << queue_impl_name(q);
    EXPECT_TRUE(s.dns_bypass) << queue_impl_name(q);
  }
  const auto none = summarize(canonical(build_ruleset(testing::small_plan(), QueueImpl::Compat)));
  EXPECT_FALSE(none.dns);
  EXPECT_TRUE(none.dns_servers.empty());
}

// The xt NFQUEUE target's info (queue number, flags) is part of its canonical line, so `status` sees a changed
// queue number as drift with either implementation.
TEST(DnsAnswers, CompatQueueNumberIsInTheCanonicalForm) {
  auto a = testing::dns_plan(), b = testing::dns_plan();
  b.kernel.dns_queue = 102;
  EXPECT_FALSE(canonical_minus(canonical(build_ruleset(a, QueueImpl::Compat)),
                               canonical(build_ruleset(b, QueueImpl::Compat)))
                   .empty());
}

TEST(DnsAnswers, LiveUpdatesAddAndRemoveTheChain) {
  const auto plain = build_ruleset(testing::small_plan(), QueueImpl::Native);
  const auto dns = build_ruleset(testing::dns_plan(), QueueImpl::Native);
  UpdateSummary s;
  update_batch(plain, dns, 1, true, &s);
  EXPECT_FALSE(s.full_replace);
  EXPECT_EQ(s.chains_added, 1u);
  EXPECT_EQ(s.sets_added, 2u);
  EXPECT_EQ(s.elements_added, 2u);
  update_batch(dns, plain, 1, true, &s);
  EXPECT_FALSE(s.full_replace);
  EXPECT_EQ(s.chains_removed, 1u);
  EXPECT_EQ(s.sets_removed, 2u);
  auto moved = testing::dns_plan();  // a resolver replaced: element changes only
  moved.kernel.dns_servers[0] = *policy::parse_ip("198.51.100.54");
  update_batch(dns, build_ruleset(moved, QueueImpl::Native), 1, true, &s);
  EXPECT_FALSE(s.full_replace);
  EXPECT_EQ(s.elements_removed, 1u);
  EXPECT_EQ(s.elements_added, 1u);
  EXPECT_EQ(s.chains_rewritten, 0u);
}

}  // namespace
}  // namespace nfegress::netfilter
