// policy/suggest.cpp — layer: pure policy. See suggest.hpp. Records are grouped by the namespace their resources
// go to; each destination address belongs to exactly one suggested EgressNetwork (the first, by name, that saw
// it), so every flow is decided by the routes suggested for it. Aggregated networks leave out, as `except`s, the
// addresses another suggested network owns: which network captures an address never depends on sizes or names.
// Must not: do I/O.
#include <map>
#include <nlohmann/json.hpp>

#include "policy/suggest.hpp"
#include "policy/suggest_internal.hpp"

namespace nfegress::policy {
namespace suggest_detail {

void Stats::add(const SuggestRecord& r) {
  ++(r.denied ? deny : allow);
  if (r.timestamp > last) last = r.timestamp;
}

Stats Stats::of(const Records& rs) {
  Stats s;
  for (const auto* r : rs) s.add(*r);
  return s;
}

std::string Stats::comment() const {
  const std::size_t n = allow + deny;
  return "# covers " + std::to_string(n) + (n == 1 ? " flow" : " flows") + " (allow " + std::to_string(allow) +
         ", deny " + std::to_string(deny) + "), last seen " + last + "\n";
}

std::string q(std::string_view s) {
  return nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Names::take(const std::string& kind, std::string base) {
  std::string n;
  for (char c : base) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    n.push_back((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ? c : '-');
  }
  if (n.size() > 240) n.resize(240);
  while (!n.empty() && (n.back() == '-' || n.back() == '.')) n.pop_back();
  while (!n.empty() && (n.front() == '-' || n.front() == '.')) n.erase(0, 1);
  if (n.empty()) n = "suggested";
  std::string name = n;
  for (int i = 2; !used_.insert({kind, name}).second; ++i) name = n + "-" + std::to_string(i);
  return name;
}

void header(std::string& out, const Stats& s, const char* api, const char* kind, const std::string& name,
            const std::string& ns, const std::string& note) {
  out += "---\n" + s.comment();
  if (!note.empty()) out += "# " + note + "\n";
  out += std::string("apiVersion: ") + api + "\nkind: " + kind + "\nmetadata:\n  name: " + q(name) +
         "\n  namespace: " + q(ns) + "\n";
}

}  // namespace suggest_detail

namespace {

using namespace suggest_detail;
using Addr = std::pair<Family, u128>;

struct Net {
  Records flows;
  std::set<Addr> addrs;
  std::map<std::uint16_t, Records> ports;
};

struct Group {
  Records flows;
  std::map<Addr, std::string> owner;  // address -> the suggested EgressNetwork that captures it
  std::map<std::string, Net> nets;
};

std::string network_name(const SuggestRecord& r) {
  if (r.network.empty()) return "suggested";
  return r.network.substr(r.network.rfind('/') + 1);  // npos + 1 == 0: a bare name
}

unsigned host_bits(u128 x) {
  unsigned n = 0;
  for (; x; x >>= 1) ++n;
  return n;
}

// The networks of one EgressNetwork: its addresses, those sharing a /N block merged into their smallest cover,
// minus the addresses (inside that cover) another suggested network captures.
void write_networks(std::string& out, const std::string& name, const Net& net, const Group& g,
                    const SuggestOptions& o) {
  out += "  networks:\n";
  for (auto it = net.addrs.begin(); it != net.addrs.end();) {
    const auto [fam, lo] = *it;
    const unsigned bits = family_bits(fam);
    const unsigned keep = std::min(fam == Family::V4 ? o.aggregate_v4 : o.aggregate_v6, bits);
    const auto block = [&](u128 v) { return bits - keep >= 128 ? u128{0} : v >> (bits - keep); };
    u128 hi = lo;
    for (++it; it != net.addrs.end() && it->first == fam && block(it->second) == block(lo); ++it) hi = it->second;
    const unsigned host = host_bits(lo ^ hi);
    const u128 mask = host >= 128 ? ~u128{0} : ((u128{1} << host) - 1);
    IpPrefix p{fam, lo & ~mask, static_cast<std::uint8_t>(bits - host)};
    out += "  - cidr: " + q(format_prefix(p)) + "\n";
    std::vector<std::string> except;
    const auto single = static_cast<std::uint8_t>(bits);
    for (auto a = g.owner.lower_bound({fam, p.first()});
         a != g.owner.end() && a->first.first == fam && a->first.second <= p.last(); ++a)
      if (a->second != name) except.push_back(q(format_prefix({fam, a->first.second, single})));
    if (except.empty()) continue;
    out += "    except: [";
    for (std::size_t i = 0; i < except.size(); ++i) out += (i ? ", " : "") + except[i];
    out += "]\n";
  }
}

void write_group(std::string& out, const std::string& ns, const Group& g, const SuggestOptions& o) {
  out += "\n# namespace " + ns + ": " + std::to_string(g.flows.size()) + " flow(s), " + std::to_string(g.nets.size()) +
         " EgressNetwork(s) seen\n";
  Names names;
  for (const auto& [name, net] : g.nets) names.take("EgressNetwork", name);
  for (const auto& [name, net] : g.nets) {
    header(out, Stats::of(net.flows), "policy.linkerd.io/v1alpha1", "EgressNetwork", name, ns);
    out += "spec:\n  trafficPolicy: Deny\n";
    write_networks(out, name, net, g, o);
    for (const auto& [port, flows] : net.ports) write_routes(out, ns, name, port, flows, o, names);
  }
  if (!o.catch_all) return;
  const std::string name = names.take("EgressNetwork", "deny-unseen");
  out += "---\n# catch-all: every other address outside the cluster networks is denied (leave out with "
         "--no-catch-all)\n";
  out += "apiVersion: policy.linkerd.io/v1alpha1\nkind: EgressNetwork\nmetadata:\n  name: " + q(name) +
         "\n  namespace: " + q(ns) + "\nspec:\n  trafficPolicy: Deny\n";
}

}  // namespace

std::string suggest(const std::vector<SuggestRecord>& records, const SuggestOptions& o) {
  std::map<std::string, Group> groups;
  for (const auto& r : records) {
    const std::string& ns = !o.ns.empty() ? o.ns : !r.client_ns.empty() ? r.client_ns : o.global_ns;
    auto& g = groups[ns];
    g.flows.push_back(&r);
    const std::string name = Names().take("EgressNetwork", network_name(r));
    auto [it, fresh] = g.owner.emplace(Addr{r.dst.family, r.dst.value}, name);
    if (!fresh && name < it->second) it->second = name;
  }
  for (auto& [ns, g] : groups)
    for (const auto* r : g.flows) {
      auto& net = g.nets[g.owner.at({r->dst.family, r->dst.value})];
      net.flows.push_back(r);
      net.addrs.insert({r->dst.family, r->dst.value});
      net.ports[r->port].push_back(r);
    }
  Records every;
  for (const auto& r : records) every.push_back(&r);
  const Stats s = Stats::of(every);
  std::string out = "# nfegress suggest: " + std::to_string(records.size()) + " flow(s) (allow " +
                    std::to_string(s.allow) + ", deny " + std::to_string(s.deny) + ")";
  if (records.empty()) return out + ": nothing to suggest\n";
  out += ", last seen " + s.last +
         ".\n# Review before applying: these resources allow every flow seen, the denied ones included.\n";
  for (const auto& [ns, g] : groups) write_group(out, ns, g, o);
  return out;
}

}  // namespace nfegress::policy
