// netfilter/render.hpp — layer: pure rendering. A Ruleset as nft text (`nft -f` syntax) and as libnftnl JSON
// (`nft -j` schema, the same shape `nft -j list table inet T` prints). Used by `export`, `init --dry-run` and tests.
// Must not: touch a socket or the kernel.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "netfilter/ruleset.hpp"

namespace nfegress::netfilter {

struct RenderOptions {
  // nft 1.0.6 can neither write nor read the xt NFQUEUE target. With `checkable`, the compat queue rule is left
  // out (text: kept as a `#` comment line; JSON: omitted) so `nft -c -f` / `nft -j -c -f` can validate the rest.
  // Without it, the text shows the equivalent native `queue` statement after a comment saying how it is really
  // programmed, and the JSON shows the `xt` expression exactly as `nft -j list` prints it.
  // nft 1.0.6's JSON cannot declare the SYN-ACK anchor's set either (no `typeof`; its integers have no size in a
  // concatenation): checkable JSON leaves out set `first` and the rules that use it (the text keeps them).
  bool checkable = false;
};

std::string render_text(const Ruleset& rs, const RenderOptions& o = {});
nlohmann::json render_json(const Ruleset& rs, const RenderOptions& o = {});

// `meta l4proto tcp` right before `tcp doff N` is the dependency nft adds itself and leaves out of a listing.
inline bool implied_dependency(const Rule& r, std::size_t i) {
  return r.matches[i].kind == Match::Kind::L4Tcp && i + 1 < r.matches.size() &&
         r.matches[i + 1].kind == Match::Kind::TcpDoff;
}
// Text of one rule as nft prints it (no comment, no trailing newline); for messages and tests.
std::string rule_text(const Rule& r);

}  // namespace nfegress::netfilter
