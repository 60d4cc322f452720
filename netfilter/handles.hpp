// netfilter/handles.hpp — layer: kernel glue. Owned libnftnl/libmnl handles: every C object is owned by a
// std::unique_ptr from the line it is created; ownership passes into C only through release_into().
#pragma once
#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include <memory>

namespace nfegress::netfilter {

template <auto Fn>
struct CDeleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    if (p) Fn(p);
  }
};

using TablePtr = std::unique_ptr<nftnl_table, CDeleter<nftnl_table_free>>;
using ChainPtr = std::unique_ptr<nftnl_chain, CDeleter<nftnl_chain_free>>;
using RulePtr = std::unique_ptr<nftnl_rule, CDeleter<nftnl_rule_free>>;
using ExprPtr = std::unique_ptr<nftnl_expr, CDeleter<nftnl_expr_free>>;
using SetPtr = std::unique_ptr<nftnl_set, CDeleter<nftnl_set_free>>;
using SetElemPtr = std::unique_ptr<nftnl_set_elem, CDeleter<nftnl_set_elem_free>>;
using BatchPtr = std::unique_ptr<nftnl_batch, CDeleter<nftnl_batch_free>>;
using SocketPtr = std::unique_ptr<mnl_socket, CDeleter<mnl_socket_close>>;

// Hands an owned object to a C parent that takes ownership (e.g. nftnl_rule_add_expr). Named so every transfer
// of ownership is greppable.
template <typename Ptr>
auto release_into(Ptr& p) {
  return p.release();
}

}  // namespace nfegress::netfilter
