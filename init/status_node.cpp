// init/status_node.cpp — layer: command line. See status_node.hpp.
#include "init/status_node.hpp"

#include <algorithm>
#include <memory>
#include <sstream>

#include "enforcer/node_prepare.hpp"
#include "enforcer/reload.hpp"

namespace nfegress::cli {
namespace {

struct Key {
  policy::u128 value = 0;
  bool end = false;
  std::string plan;
};

// "elem clients4 key=c0000200 goto ns_team-a" / "elem clients4 key=c0000210 end".
std::optional<Key> parse_elem(const std::string& line, std::size_t key_bytes) {
  std::istringstream in(line);
  std::string elem, set, key, word;
  in >> elem >> set >> key;
  if (key.rfind("key=", 0) != 0 || key.size() != 4 + 2 * key_bytes) return std::nullopt;
  Key k;
  for (std::size_t i = 4; i < key.size(); i += 2) k.value = (k.value << 8) | std::stoul(key.substr(i, 2), nullptr, 16);
  while (in >> word) {
    if (word == "end") k.end = true;
    else if (word == "goto") in >> k.plan;
  }
  return k;
}

void read_family(const netfilter::Canonical& c, const char* set, policy::Family f, std::vector<policy::Client>& out) {
  const std::size_t bytes = f == policy::Family::V4 ? 4 : 16;
  const netfilter::KeyType kt = f == policy::Family::V4 ? netfilter::KeyType::Ipv4 : netfilter::KeyType::Ipv6;
  const std::string prefix = std::string("elem ") + set + " key=";
  std::vector<Key> starts;
  std::vector<policy::u128> ends;  // an interval's end element holds its last address + 1
  for (const auto& l : c.lines) {
    if (l.rfind(prefix, 0) != 0) continue;
    const auto k = parse_elem(l, bytes);
    if (!k) continue;
    if (k->end) ends.push_back(k->value);
    else starts.push_back(*k);
  }
  std::sort(ends.begin(), ends.end());
  for (const auto& s : starts) {
    const auto e = std::upper_bound(ends.begin(), ends.end(), s.value);
    const netfilter::Element el{s.value, e == ends.end() ? netfilter::key_max(kt) : *e - 1, std::nullopt};
    unsigned len = 0;
    if (!netfilter::element_is_prefix(kt, el, len)) continue;
    std::string ns;
    if (s.plan == "global") ns = kGlobalPlanClient;
    else if (s.plan.rfind("ns_", 0) == 0) ns = s.plan.substr(3);
    else continue;
    out.push_back({policy::IpPrefix{f, s.value, static_cast<std::uint8_t>(len)}, ns, "table element"});
  }
}

}  // namespace

std::vector<policy::Client> programmed_clients(const netfilter::Canonical& c) {
  std::vector<policy::Client> out;
  read_family(c, netfilter::kClientMap4, policy::Family::V4, out);
  read_family(c, netfilter::kClientMap6, policy::Family::V6, out);
  policy::normalize_clients(out);
  return out;
}

std::optional<netfilter::Ruleset> node_desired(const CommonOptions& o, const policy::LoadResult& input,
                                               std::vector<policy::Client> clients, netfilter::QueueImpl queue,
                                               bool anchor, std::ostream& err) {
  enforcer::ReloadConfig cfg;
  cfg.compile = o.compile;
  cfg.kernel = o.kernel;
  cfg.kernel.syn_ack_anchor = anchor;
  cfg.queue = queue;
  cfg.clients = [c = std::move(clients)] { return c; };
  cfg.node_cache = std::make_shared<enforcer::NodeCache>();
  auto prepared = enforcer::prepare_policy(cfg, input);
  for (const auto& e : prepared.errors) err << e << "\n";
  return std::move(prepared.desired);
}

}  // namespace nfegress::cli
