// tests/netfilter/anchor_tool.cpp — test helper for tests/netns/anchor_kernel.sh (privileged, run inside the
// script's namespace): programs, reads back and updates the pod table of testing::small_plan() with the SYN-ACK
// anchor on, through the netfilter APIs the lead's `init` calls. No CLI of nfegress is involved.
//   netfilter_anchor_tool probe     Writer::probe_anchor(): "anchor: supported" or the kernel's error (exit 1)
//   netfilter_anchor_tool program   replace_batch of the table (queue bypass: no enforcer needed)
//   netfilter_anchor_tool status    the kernel's table against canonical(): "in sync" or the differing lines
//   netfilter_anchor_tool update    a minimal update (one more inspected port) from the programmed ruleset
#include <cstdio>
#include <string>

#include "fixtures.hpp"
#include "netfilter/batch.hpp"
#include "netfilter/writer.hpp"

namespace {

using namespace nfegress::netfilter;

nfegress::policy::Plan plan(bool more) {
  auto p = nfegress::testing::small_plan();
  p.kernel.syn_ack_anchor = true;
  p.kernel.fail_open = true;  // queue bypass: the data passes with nobody listening
  if (more) p.networks[0].ports.push_back({8443, nfegress::policy::Verdict::Inspect,
                                           nfegress::policy::Inspection::Tls, {}, {}});
  return p;
}

int fail(const char* what, const KernelError& e) {
  std::fprintf(stderr, "%s: %s\n", what, e.format().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  KernelError err;
  auto w = Writer::open(err);
  if (!w) return fail("open", err);
  if (cmd == "probe") {
    if (auto e = w->probe_anchor()) return fail("anchor probe", *e);
    std::puts("anchor: supported");
    return 0;
  }
  std::string log;
  const auto q = w->probe_queue(err, log);
  if (!q) return fail("queue probe", err);
  const auto rs = build_ruleset(plan(false), *q);
  if (cmd == "program") {
    if (auto e = w->send(replace_batch(rs, w->next_seq()))) return fail("program", *e);
    std::printf("programmed (%s queue)\n", queue_impl_name(*q));
    return 0;
  }
  if (cmd == "update") {
    UpdateSummary s;
    if (auto e = w->send(update_batch(rs, build_ruleset(plan(true), *q), w->next_seq(), true, &s)))
      return fail("update", *e);
    std::printf("updated: sets added %zu removed %zu, full replace %d\n", s.sets_added, s.sets_removed,
                s.full_replace ? 1 : 0);
    return 0;
  }
  if (cmd == "status" || cmd == "status-updated") {
    const auto want = canonical(cmd == "status" ? rs : build_ruleset(plan(true), *q));
    const auto got = w->read_table(rs.table, err);
    if (!got) return fail("read", err);
    const auto missing = canonical_minus(want, *got), extra = canonical_minus(*got, want);
    for (const auto& l : missing) std::printf("missing: %s\n", l.c_str());
    for (const auto& l : extra) std::printf("unexpected: %s\n", l.c_str());
    if (!missing.empty() || !extra.empty()) return 1;
    std::puts("in sync");
    return 0;
  }
  std::fprintf(stderr, "usage: %s probe|program|status|update|status-updated\n", argv[0]);
  return 2;
}
