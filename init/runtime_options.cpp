// init/runtime_options.cpp — layer: command line. See runtime_options.hpp.
#include "init/runtime_options.hpp"

#include <algorithm>
#include <iostream>

#include "init/dns_options.hpp"

namespace nfegress::cli {

void fill_runtime_options(const CommonOptions& o, enforcer::RuntimeOptions& ro) {
  const auto& k = o.kernel;
  using NB = policy::KernelOptions::NameBinding;
  ro.binding_mode = k.name_binding == NB::Off      ? enforcer::BindingMode::Off
                    : k.name_binding == NB::Strict ? enforcer::BindingMode::Strict
                                                   : enforcer::BindingMode::Resolve;
  ro.strip_ech = k.strip_ech;
  ro.dns_servers = read_resolv_conf_nameservers(o);
  if (ro.dns_servers.empty()) ro.dns_servers = k.dns_servers;
  for (unsigned i = 0; i < std::max<unsigned>(1, k.queue_total); ++i) {
    enforcer::nfq::QueueConfig q;
    q.queue = static_cast<std::uint16_t>(k.queue_num + i);
    q.fail_open = k.fail_open;
    ro.queue.queues.push_back(q);
  }
}

void print_counters(const enforcer::Counters& c) {
  std::cerr << "counters:";
  enforcer::for_each_counter(c, [](const char* name, std::uint64_t v) { std::cerr << ' ' << name << '=' << v; });
  std::cerr << "\n";
}

}  // namespace nfegress::cli
