// netfilter/queue_choice.cpp — layer: pure decision + one thin probe. See queue_choice.hpp.
#include "netfilter/queue_choice.hpp"

namespace nfegress::netfilter {

using Wanted = policy::KernelOptions::Queue;

bool queue_needs_probe(Wanted wanted) { return wanted == Wanted::Auto; }

QueueChoice decide_queue(Wanted wanted, const QueueProbe* probe) {
  if (wanted == Wanted::Native) return {QueueImpl::Native, "queue: native nft queue expression (--queue-impl native)"};
  if (wanted == Wanted::Compat) return {QueueImpl::Compat, "queue: xt NFQUEUE via nft_compat (--queue-impl compat)"};
  if (!probe) return {};
  if (probe->impl) return {probe->impl, probe->line};
  return {std::nullopt, probe->error.format()};
}

QueueChoice choose_queue(Wanted wanted, Writer& writer) {
  if (!queue_needs_probe(wanted)) return decide_queue(wanted, nullptr);
  QueueProbe p;
  p.impl = writer.probe_queue(p.error, p.line);
  return decide_queue(wanted, &p);
}

std::string queue_fallback_line(const KernelError* socket_error) {
  std::string why = socket_error ? "cannot probe this kernel (" + socket_error->format() + ")" : "the probe failed";
  return "nfegress: queue: " + why +
         "; assuming xt NFQUEUE via nft_compat — pass --queue-impl native|compat to choose";
}

}  // namespace nfegress::netfilter
