// enforcer/ops.cpp — layer: operations (wiring). See ops.hpp.
#include "enforcer/ops.hpp"

#include <ostream>

#include "netfilter/anchor_choice.hpp"
#include "netfilter/queue_choice.hpp"

namespace nfegress::enforcer {

namespace {

// Owns the netlink socket the WriterSink writes through.
class OwnedWriterSink : public KernelSink {
 public:
  explicit OwnedWriterSink(netfilter::Writer w) : writer_(std::move(w)), sink_(writer_) {}
  std::uint32_t next_seq() override { return sink_.next_seq(); }
  std::optional<netfilter::KernelError> send(const netfilter::Batch& b) override { return sink_.send(b); }
  netfilter::Writer& writer() { return writer_; }

 private:
  netfilter::Writer writer_;
  WriterSink sink_;
};

}  // namespace

std::unique_ptr<KernelSink> open_kernel_sink(policy::KernelOptions& k, netfilter::QueueImpl& queue,
                                             std::string& error, std::ostream& log) {
  netfilter::KernelError kerr;
  auto w = netfilter::Writer::open(kerr);
  if (!w) {
    error = "netlink: " + kerr.format();
    return nullptr;
  }
  auto sink = std::make_unique<OwnedWriterSink>(std::move(*w));
  const auto choice = netfilter::choose_queue(k.queue, sink->writer());
  if (!choice.impl) {
    error = "queue probe: " + choice.line;
    return nullptr;
  }
  queue = *choice.impl;
  const auto anchor = netfilter::choose_anchor(k.anchor_off, &sink->writer());
  k.syn_ack_anchor = anchor.on;
  log << anchor.log_line();
  return sink;
}

Operations::Operations(OpsConfig config, std::unique_ptr<KernelSink> kernel, std::ostream& decisions)
    : config_(std::move(config)), kernel_(std::move(kernel)), metrics_(config_.metrics), decision_log_(decisions) {}

Operations::~Operations() { stop(); }

std::unique_ptr<Operations> Operations::start(boost::asio::io_context& io, OpsConfig config,
                                              std::unique_ptr<KernelSink> kernel, PolicyHandoff handoff,
                                              std::ostream& decisions, std::ostream& log, std::string& error) {
  std::unique_ptr<Operations> ops(new Operations(std::move(config), std::move(kernel), decisions));
  ops->reloader_ = std::make_unique<Reloader>(ops->config_.reload, *ops->kernel_, std::move(handoff),
                                              &ops->metrics_, log);
  if (!ops->config_.admin_addr.empty()) {
    auto at = parse_admin_addr(ops->config_.admin_addr, error);
    if (!at) return nullptr;
    Operations* self = ops.get();
    AdminHandlers h{[self] { return self->metrics_.render(); }, [self] { return self->reloader_->ready(); }};
    ops->admin_ = AdminServer::start(io, *at, std::move(h), ops->config_.admin_limits, error);
    if (!ops->admin_) return nullptr;
  }
  // Audit mode: the kernel's would-deny counters, read back at every scrape through a socket of their own (opened
  // at the first scrape; none, or a read error: no samples).
  ops->metrics_.set_audit_reader([table = ops->config_.reload.kernel.table,
                                  w = std::shared_ptr<netfilter::Writer>()]() mutable {
    netfilter::KernelError err;
    if (!w)
      if (auto opened = netfilter::Writer::open(err)) w = std::make_shared<netfilter::Writer>(std::move(*opened));
    if (!w) return std::vector<netfilter::AuditCount>{};
    auto counts = w->read_audit(table, err);
    return counts ? std::move(*counts) : std::vector<netfilter::AuditCount>{};
  });
  // Triggered reloads read and compile on a worker thread; only the commit runs on the event loop.
  ops->background_ = std::make_unique<BackgroundReloader>(io, *ops->reloader_);
  BackgroundReloader* background = ops->background_.get();
  ops->watch_ = std::make_unique<ReloadWatch>(io, ops->config_.watch_paths,
                                              [background](const std::string& why) { background->reload(why); });
  if (!ops->watch_->start(error)) return nullptr;
  return ops;
}

DecisionCallback Operations::decision_callback() {
  return [this](const DecisionRecord& r) {
    decision_log_.write(r);
    const auto plan = reloader_->plan();
    metrics_.count_decision(r, plan.get());
  };
}

DecisionOutput Operations::decision_output() {
  // The record's own plan names the route group (the plan its decision was taken on; node mode: its client's), so
  // a worker never waits for the Reloader's lock, which a commit holds for a whole kernel transaction.
  return {[this](const DecisionRecord& r, std::string& lines) {
            decision_log_.append_line(r, lines);
            metrics_.count_decision(r, r.plan.get());
          },
          [this](std::string_view lines) { decision_log_.write_lines(lines); }};
}

void Operations::stop() {
  if (admin_) admin_->stop();
  if (watch_) watch_->stop();
  if (background_) background_->stop();
}

}  // namespace nfegress::enforcer
