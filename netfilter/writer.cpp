// netfilter/writer.cpp — layer: kernel glue (thin). See writer.hpp. One sendmsg per batch; every answer read until
// the last message's ACK (only that one asks for a success ACK; a failing message is always answered, and
// nfnetlink delivers the answers in order after processing the whole batch), errors mapped to objects by sequence
// number. Must not: decide policy or build rules.
#include "netfilter/writer.hpp"

#include "netfilter/guard.hpp"

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

namespace nfegress::netfilter {
namespace {

// Raise a socket buffer to at least `bytes`; SO_*BUFFORCE works for CAP_NET_ADMIN beyond net.core.*mem_max.
void size_buffer(int fd, int opt_force, int opt, std::size_t bytes) {
  int v = static_cast<int>(std::min<std::size_t>(bytes, 1u << 30));
  if (setsockopt(fd, SOL_SOCKET, opt_force, &v, sizeof v) != 0) setsockopt(fd, SOL_SOCKET, opt, &v, sizeof v);
}

std::string ext_ack_message(const nlmsghdr* nlh) {
  if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS)) return "";
  std::string msg;
  // With NETLINK_CAP_ACK the echoed request is only its header, so the TLVs follow struct nlmsgerr.
  mnl_attr_parse(
      nlh, sizeof(nlmsgerr),
      [](const nlattr* a, void* data) -> int {
        if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG) *static_cast<std::string*>(data) = mnl_attr_get_str(a);
        return MNL_CB_OK;
      },
      &msg);
  return msg;
}

}  // namespace

std::string KernelError::format() const {
  std::string s = object.empty() ? "kernel" : object;
  s += ": ";
  s += std::strerror(err);
  if (!detail.empty()) s += " (" + detail + ")";
  return s;
}

Writer::Writer(SocketPtr s) : sock_(std::move(s)) {}

std::optional<Writer> Writer::open(KernelError& err) {
  SocketPtr s(mnl_socket_open(NETLINK_NETFILTER));
  if (!s || mnl_socket_bind(s.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
    err = {errno, "netlink socket", ""};
    return std::nullopt;
  }
  const int fd = mnl_socket_get_fd(s.get());
  int one = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);  // ACKs echo only the header
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);  // the kernel's error text
  Writer w(std::move(s));
  w.portid_ = mnl_socket_get_portid(w.sock_.get());
  return w;
}

std::optional<KernelError> Writer::send(const Batch& b) {
  const int fd = mnl_socket_get_fd(sock_.get());
  const auto iov = b.iovecs();
  std::size_t total = 0;
  for (const auto& v : iov) total += v.iov_len;
  // netlink_sendmsg refuses a message larger than the send buffer; every ACK must fit the receive buffer. An ACK
  // is a few dozen bytes but its own skb, charged at its truesize (several hundred bytes): budget 1 KiB each, as
  // nft does, or a batch of thousands of messages overflows the buffer (ENOBUFS) before the first recv.
  size_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, total + 65536);
  size_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, b.messages() * 1024 + (1u << 20));

  sockaddr_nl nl{};
  nl.nl_family = AF_NETLINK;
  msghdr msg{};
  msg.msg_name = &nl;
  msg.msg_namelen = sizeof nl;
  msg.msg_iov = const_cast<iovec*>(iov.data());
  msg.msg_iovlen = iov.size();
  if (sendmsg(fd, &msg, 0) < 0) return KernelError{errno, "sending the batch (" + std::to_string(total) + " bytes)", ""};

  std::optional<KernelError> first_error;
  std::size_t acked = 0;
  std::vector<char> buf(1 << 20);
  // The kernel handles the whole batch inside sendmsg, so every answer is queued by now. An error on BATCH_BEGIN
  // either refuses the batch before any message (no CAP_NET_ADMIN in this namespace: EPERM, and no ACK follows)
  // or fails the commit (the ACKs follow it): after one, read only what is queued instead of waiting for ACKs
  // that may never come.
  bool begin_failed = false;
  bool last_answered = b.messages() == 0;
  while (!last_answered) {
    const ssize_t n = recv(fd, buf.data(), buf.size(), begin_failed ? MSG_DONTWAIT : 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (begin_failed && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      return KernelError{errno, "reading the kernel's answers (" + std::to_string(acked) + " so far, waiting for the "
                                    "last of " + std::to_string(b.messages()) + " messages)", "", true};
    }
    int left = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<const nlmsghdr*>(buf.data()); mnl_nlmsg_ok(nlh, left);
         nlh = mnl_nlmsg_next(nlh, &left)) {
      if (nlh->nlmsg_type != NLMSG_ERROR) continue;
      const auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
      if (nlh->nlmsg_seq > b.first_seq && nlh->nlmsg_seq <= b.last_seq()) ++acked;
      if (nlh->nlmsg_seq == b.last_seq()) last_answered = true;
      if (nlh->nlmsg_seq == b.first_seq && e->error != 0) begin_failed = true;
      if (e->error != 0 && !first_error) {
        std::string obj = b.object(nlh->nlmsg_seq);
        if (obj.empty() && e->error == -EPERM && acked == 0)
          obj = "the batch (refused before any message: needs CAP_NET_ADMIN in this network namespace)";
        if (obj.empty()) obj = "the transaction (commit)";
        first_error = KernelError{-e->error, obj, ext_ack_message(nlh)};
      }
    }
  }
  // A commit failure is reported against BATCH_BEGIN before the per-message ACKs; anything left is drained.
  while (true) {
    const ssize_t n = recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n <= 0) break;
    int left = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<const nlmsghdr*>(buf.data()); mnl_nlmsg_ok(nlh, left);
         nlh = mnl_nlmsg_next(nlh, &left)) {
      if (nlh->nlmsg_type != NLMSG_ERROR) continue;
      const auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
      if (e->error != 0 && !first_error) first_error = KernelError{-e->error, "the transaction (commit)", ""};
    }
  }
  advance(b);
  return first_error;
}

std::optional<QueueImpl> Writer::probe_queue(KernelError& err, std::string& log) {
  auto native = send(probe_batch(QueueImpl::Native, next_seq()));
  if (!native) {
    log = "queue: native nft queue expression (probed)";
    return QueueImpl::Native;
  }
  if (native->err == EPERM) {  // the whole batch was refused: nothing about the queue was learnt
    err = *native;
    err.object = "queue probe (needs CAP_NET_ADMIN in this network namespace)";
    return std::nullopt;
  }
  auto compat = send(probe_batch(QueueImpl::Compat, next_seq()));
  if (compat && compat->err == ENOENT) {
    // In an inet table the kernel cannot autoload xt_NFQUEUE (x_tables has no module prefix for NFPROTO_INET);
    // a check-only rule in an ip table loads it through the ipt_NFQUEUE alias. Then try inet again.
    (void)send(probe_batch(QueueImpl::Compat, next_seq(), NFPROTO_IPV4));
    compat = send(probe_batch(QueueImpl::Compat, next_seq()));
  }
  if (!compat) {
    log = "queue: xt NFQUEUE via nft_compat (native queue expression unavailable: " +
          std::string(std::strerror(native->err)) + ")";
    return QueueImpl::Compat;
  }
  err = *compat;
  err.object = "queue probe: neither the nft queue expression (" + std::string(std::strerror(native->err)) +
               ") nor xt NFQUEUE via nft_compat works";
  return std::nullopt;
}

std::optional<KernelError> Writer::dump(std::uint16_t type, const std::function<void(nlmsghdr*)>& build,
                                        const std::function<void(const nlmsghdr*)>& each, std::uint16_t family) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE * 16);
  const std::uint32_t seq = seq_++;
  auto* nlh = nftnl_nlmsg_build_hdr(buf.data(), type, family, NLM_F_DUMP, seq);
  build(nlh);
  if (mnl_socket_sendto(sock_.get(), nlh, nlh->nlmsg_len) < 0) return KernelError{errno, "dump request", ""};
  while (true) {
    const ssize_t n = mnl_socket_recvfrom(sock_.get(), buf.data(), buf.size());
    if (n < 0) return KernelError{errno, "dump", ""};
    int left = static_cast<int>(n);
    for (auto* h = reinterpret_cast<const nlmsghdr*>(buf.data()); mnl_nlmsg_ok(h, left); h = mnl_nlmsg_next(h, &left)) {
      if (h->nlmsg_seq != seq) continue;
      if (h->nlmsg_type == NLMSG_DONE) return std::nullopt;
      if (h->nlmsg_type == NLMSG_ERROR) {
        const auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(h));
        if (e->error == 0) return std::nullopt;
        return KernelError{-e->error, "dump", ext_ack_message(h)};
      }
      each(h);
    }
  }
}

bool Writer::table_exists(const std::string& table, KernelError& err, std::uint16_t family) {
  bool found = false;
  err = {};
  auto e = dump(
      NFT_MSG_GETTABLE, [](nlmsghdr*) {},
      [&](const nlmsghdr* h) {
        TablePtr t(nftnl_table_alloc());
        if (nftnl_table_nlmsg_parse(h, t.get()) < 0) return;
        if (nftnl_table_get_u32(t.get(), NFTNL_TABLE_FAMILY) == family &&
            table == nftnl_table_get_str(t.get(), NFTNL_TABLE_NAME))
          found = true;
      },
      family);
  if (e) err = *e;
  return found;
}

bool Writer::read_guard(const std::string& table, std::vector<std::string>& out, KernelError& err) {
  if (!table_exists(table, err, NFPROTO_NETDEV)) return err.err == 0;
  out.push_back("netdev table " + table);
  auto e = dump(
      NFT_MSG_GETCHAIN, [](nlmsghdr*) {},
      [&](const nlmsghdr* h) {
        ChainPtr ch(nftnl_chain_alloc());
        if (nftnl_chain_nlmsg_parse(h, ch.get()) < 0) return;
        if (nftnl_chain_get_u32(ch.get(), NFTNL_CHAIN_FAMILY) != NFPROTO_NETDEV ||
            table != nftnl_chain_get_str(ch.get(), NFTNL_CHAIN_TABLE))
          return;
        out.push_back(canonical_guard_chain(ch.get()));
      },
      NFPROTO_NETDEV);
  if (e) return err = *e, false;
  RulePtr filter(nftnl_rule_alloc());
  nftnl_rule_set_str(filter.get(), NFTNL_RULE_TABLE, table.c_str());
  std::map<std::string, std::size_t> index;
  e = dump(
      NFT_MSG_GETRULE, [&](nlmsghdr* n) { nftnl_rule_nlmsg_build_payload(n, filter.get()); },
      [&](const nlmsghdr* h) {
        RulePtr r(nftnl_rule_alloc());
        if (nftnl_rule_nlmsg_parse(h, r.get()) < 0) return;
        if (nftnl_rule_get_u32(r.get(), NFTNL_RULE_FAMILY) != NFPROTO_NETDEV ||
            table != nftnl_rule_get_str(r.get(), NFTNL_RULE_TABLE))
          return;
        out.push_back(canonical_guard_rule(r.get(), index[nftnl_rule_get_str(r.get(), NFTNL_RULE_CHAIN)]++));
      },
      NFPROTO_NETDEV);
  if (e) return err = *e, false;
  return true;
}

std::optional<KernelError> Writer::probe_guard(const std::string& device) { return send(guard_probe_batch(device, next_seq())); }

std::optional<KernelError> Writer::probe_anchor() { return send(anchor_probe_batch(next_seq())); }

std::optional<KernelError> Writer::dump_elements(const std::string& table, const std::string& set,
                                                 const std::function<void(nftnl_set*)>& each) {
  SetPtr req(nftnl_set_alloc());
  nftnl_set_set_str(req.get(), NFTNL_SET_TABLE, table.c_str());
  nftnl_set_set_str(req.get(), NFTNL_SET_NAME, set.c_str());
  nftnl_set_set_u32(req.get(), NFTNL_SET_FAMILY, NFPROTO_INET);
  return dump(
      NFT_MSG_GETSETELEM, [&](nlmsghdr* n) { nftnl_set_elems_nlmsg_build_payload(n, req.get()); },
      [&](const nlmsghdr* h) {
        SetPtr s(nftnl_set_alloc());
        if (nftnl_set_elems_nlmsg_parse(h, s.get()) == 0) each(s.get());
      });
}

std::optional<Canonical> Writer::read_table(const std::string& table, KernelError& err) {
  if (!table_exists(table, err)) {
    if (!err.err) err = {ENOENT, "table inet " + table, ""};
    return std::nullopt;
  }
  Canonical c;
  SetPtr set_filter(nftnl_set_alloc());
  nftnl_set_set_str(set_filter.get(), NFTNL_SET_TABLE, table.c_str());
  RulePtr rule_filter(nftnl_rule_alloc());
  nftnl_rule_set_str(rule_filter.get(), NFTNL_RULE_TABLE, table.c_str());
  c.lines.push_back("table " + table);
  std::vector<std::string> sets;
  auto e = dump(
      NFT_MSG_GETSET, [&](nlmsghdr* n) { nftnl_set_nlmsg_build_payload(n, set_filter.get()); },
      [&](const nlmsghdr* h) {
        SetPtr s(nftnl_set_alloc());
        if (nftnl_set_nlmsg_parse(h, s.get()) < 0) return;
        if (table != nftnl_set_get_str(s.get(), NFTNL_SET_TABLE)) return;
        c.lines.push_back(canonical_set(s.get()));
        // A dynamic set's elements are the kernel's (audit counters, read_audit), not the ruleset's: not drift.
        if (!(nftnl_set_get_u32(s.get(), NFTNL_SET_FLAGS) & NFT_SET_EVAL))
          sets.push_back(nftnl_set_get_str(s.get(), NFTNL_SET_NAME));
      });
  if (e) return err = *e, std::nullopt;
  for (const auto& name : sets) {
    e = dump_elements(table, name, [&](nftnl_set* s) { canonical_elements(s, name, c.lines); });
    if (e) return err = *e, std::nullopt;
  }
  e = dump(
      NFT_MSG_GETCHAIN, [](nlmsghdr*) {},
      [&](const nlmsghdr* h) {
        ChainPtr ch(nftnl_chain_alloc());
        if (nftnl_chain_nlmsg_parse(h, ch.get()) < 0) return;
        if (nftnl_chain_get_u32(ch.get(), NFTNL_CHAIN_FAMILY) != NFPROTO_INET ||
            table != nftnl_chain_get_str(ch.get(), NFTNL_CHAIN_TABLE))
          return;
        c.lines.push_back(canonical_chain(ch.get()));
      });
  if (e) return err = *e, std::nullopt;
  std::map<std::string, std::size_t> index;
  e = dump(
      NFT_MSG_GETRULE, [&](nlmsghdr* n) { nftnl_rule_nlmsg_build_payload(n, rule_filter.get()); },
      [&](const nlmsghdr* h) {
        RulePtr r(nftnl_rule_alloc());
        if (nftnl_rule_nlmsg_parse(h, r.get()) < 0) return;
        if (nftnl_rule_get_u32(r.get(), NFTNL_RULE_FAMILY) != NFPROTO_INET ||
            table != nftnl_rule_get_str(r.get(), NFTNL_RULE_TABLE))
          return;
        c.lines.push_back(canonical_rule(r.get(), index[nftnl_rule_get_str(r.get(), NFTNL_RULE_CHAIN)]++));
      });
  if (e) return err = *e, std::nullopt;
  std::sort(c.lines.begin(), c.lines.end());
  return c;
}

}  // namespace nfegress::netfilter
