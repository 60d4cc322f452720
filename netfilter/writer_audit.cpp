// netfilter/writer_audit.cpp — layer: kernel glue (thin). Writer::read_audit: the audit sets (ruleset.hpp, "Audit")
// dumped with their elements, each element's counter read back (NFTA_SET_ELEM_EXPR): what audited EgressNetworks
// would have dropped in the kernel, per protocol and port. For `status` and the enforcer's metrics.
// Must not: write anything, decide policy.
#include "netfilter/writer.hpp"  // first: <netinet/in.h> before any <linux/...> header

#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <cerrno>
#include <string_view>
#include <tuple>

namespace nfegress::netfilter {
namespace {

struct AuditSet {
  std::string name, network, proto, plan;
};

// "EgressNetwork ns/name: TCP would-denies (audit)" -> "ns/name".
std::string network_of(const std::string& comment) {
  const std::string prefix = "EgressNetwork ";
  if (comment.rfind(prefix, 0) != 0) return "";
  const auto colon = comment.find(':', prefix.size());
  return comment.substr(prefix.size(), colon == std::string::npos ? std::string::npos : colon - prefix.size());
}

}  // namespace

std::optional<std::vector<AuditCount>> Writer::read_audit(const std::string& table, KernelError& err) {
  std::vector<AuditCount> out;
  if (!table_exists(table, err)) {
    if (err.err) return std::nullopt;
    return out;
  }
  SetPtr filter(nftnl_set_alloc());
  nftnl_set_set_str(filter.get(), NFTNL_SET_TABLE, table.c_str());
  std::vector<AuditSet> sets;
  auto e = dump(
      NFT_MSG_GETSET, [&](nlmsghdr* n) { nftnl_set_nlmsg_build_payload(n, filter.get()); },
      [&](const nlmsghdr* h) {
        SetPtr s(nftnl_set_alloc());
        if (nftnl_set_nlmsg_parse(h, s.get()) < 0) return;
        const std::string name = nftnl_set_get_str(s.get(), NFTNL_SET_NAME);
        // Pod mode's audit_N_tcp, node mode's <plan>_audit_N_tcp (ruleset.hpp, parse_audit_set).
        const auto audit = parse_audit_set(name);
        if (table != nftnl_set_get_str(s.get(), NFTNL_SET_TABLE) || !audit ||
            !(nftnl_set_get_u32(s.get(), NFTNL_SET_FLAGS) & NFT_SET_EVAL))
          return;
        sets.push_back({name, network_of(set_comment(s.get())), audit->udp ? "udp" : "tcp", audit->plan});
      });
  if (e) return err = *e, std::nullopt;
  for (const auto& set : sets) {
    e = dump_elements(table, set.name, [&](nftnl_set* s) {
          struct Ctx {
            const AuditSet* set;
            std::vector<AuditCount>* out;
          } ctx{&set, &out};
          nftnl_set_elem_foreach(
              s,
              [](nftnl_set_elem* el, void* data) -> int {
                auto* c = static_cast<Ctx*>(data);
                std::uint32_t len = 0;
                const auto* key = static_cast<const std::uint8_t*>(nftnl_set_elem_get(el, NFTNL_SET_ELEM_KEY, &len));
                if (!key || len < 2) return 0;
                AuditCount a{c->set->network, c->set->proto, static_cast<std::uint16_t>(key[0] << 8 | key[1]), 0, 0,
                             c->set->plan};
                nftnl_set_elem_expr_foreach(
                    el,
                    [](nftnl_expr* x, void* d) -> int {
                      auto* ac = static_cast<AuditCount*>(d);
                      if (std::string_view(nftnl_expr_get_str(x, NFTNL_EXPR_NAME)) == "counter") {
                        ac->flows += nftnl_expr_get_u64(x, NFTNL_EXPR_CTR_PACKETS);
                        ac->bytes += nftnl_expr_get_u64(x, NFTNL_EXPR_CTR_BYTES);
                      }
                      return 0;
                    },
                    &a);
                c->out->push_back(std::move(a));
                return 0;
              },
              &ctx);
    });
    if (e) return err = *e, std::nullopt;
  }
  std::sort(out.begin(), out.end(), [](const AuditCount& a, const AuditCount& b) {
    return std::tie(a.network, a.plan, a.proto, a.port) < std::tie(b.network, b.plan, b.proto, b.port);
  });
  return out;
}

}  // namespace nfegress::netfilter
