// netfilter/ruleset_audit.cpp — layer: pure rendering. The kernel half of audit (report-only) mode, see
// ruleset.hpp: an audited EgressNetwork's kernel denials go to chain audit_N, which counts each would-deny flow
// (its first packet, ct state new) per destination port in the dynamic counter sets audit_N_tcp / audit_N_udp
// and accepts. Nothing is marked: the flow's every packet comes this way, so when the network is switched to
// enforce (an ordinary update: these objects go, the `goto audit_N` become `goto deny`) the next packet of an open
// flow meets the deny. Must not: make policy decisions (the Plan says which networks are audited), touch a socket.
#include <netinet/in.h>

#include "netfilter/ruleset.hpp"
#include "netfilter/ruleset_parts.hpp"

namespace nfegress::netfilter {

std::string audit_chain(std::size_t i, const std::string& prefix) { return prefix + "audit_" + std::to_string(i); }
std::string audit_set(std::size_t i, bool udp, const std::string& prefix) {
  return audit_chain(i, prefix) + (udp ? "_udp" : "_tcp");
}

std::optional<std::string> parse_audit_chain(std::string_view name) {
  const auto at = name.rfind("audit_");
  if (at == std::string_view::npos || (at != 0 && name[at - 1] != '_')) return std::nullopt;
  const auto digits = name.substr(at + 6);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  return std::string(name.substr(0, at == 0 ? 0 : at - 1));
}

std::optional<AuditName> parse_audit_set(std::string_view name) {
  if (name.size() < 4) return std::nullopt;
  const auto suffix = name.substr(name.size() - 4);
  if (suffix != "_tcp" && suffix != "_udp") return std::nullopt;
  const auto chain = name.substr(0, name.size() - 4);
  auto plan = parse_audit_chain(chain);
  if (!plan) return std::nullopt;
  AuditName a{std::move(*plan), 0, suffix == "_udp"};
  for (const char c : chain.substr(chain.rfind("audit_") + 6)) a.index = a.index * 10 + static_cast<std::size_t>(c - '0');
  return a;
}

Verdict deny_target(const policy::Plan& plan, std::size_t i, bool tcp, const std::string& prefix) {
  if (i < plan.networks.size() && plan.networks[i].audit) return {Verdict::Kind::Goto, audit_chain(i, prefix)};
  if (tcp) return {Verdict::Kind::Goto, "deny"};
  return {Verdict::Kind::Drop, {}};
}

void add_audit_sets(const policy::Plan& plan, std::vector<Set>& sets, const std::string& prefix) {
  for (std::size_t i = 0; i < plan.networks.size(); ++i) {
    if (!plan.networks[i].audit) continue;
    for (const bool udp : {false, true}) {
      Set s{audit_set(i, udp, prefix), KeyType::Port, false, false,
            "EgressNetwork " + plan.networks[i].id() + (udp ? ": UDP" : ": TCP") + " would-denies (audit)", {}};
      s.size = kAuditSetSize;
      s.dynamic = true;
      s.counter = true;
      sets.push_back(std::move(s));
    }
  }
}

void add_audit_chains(const policy::Plan& plan, std::vector<Chain>& chains, const std::string& prefix) {
  for (std::size_t i = 0; i < plan.networks.size(); ++i) {
    if (!plan.networks[i].audit) continue;
    const std::string who = "EgressNetwork " + plan.networks[i].id();
    Chain c{audit_chain(i, prefix), false, {}, plan.networks[i].id()};
    for (const bool udp : {false, true}) {
      Action a = act(Action::Kind::UpdateDport);
      a.set = audit_set(i, udp, prefix);
      a.value = udp ? IPPROTO_UDP : IPPROTO_TCP;
      c.rules.push_back(rule({match(Match::Kind::CtNew)}, {a}, who + ": would deny (audit), counted per port"));
    }
    c.rules.push_back(rule({}, {verdict(accept())}, who + ": audit, let through"));
    chains.push_back(std::move(c));
  }
}

}  // namespace nfegress::netfilter
