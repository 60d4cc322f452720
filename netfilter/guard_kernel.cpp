// netfilter/guard_kernel.cpp — layer: kernel glue (thin). See guard.hpp: which interfaces the egress guard hooks.
// Must not: decide anything but "not a loopback device".
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "netfilter/guard.hpp"

namespace nfegress::netfilter {

std::vector<std::string> list_guard_devices() {
  std::vector<std::string> out;
  std::unique_ptr<struct if_nameindex, void (*)(struct if_nameindex*)> names(::if_nameindex(), ::if_freenameindex);
  if (!names) return out;
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  for (const auto* i = names.get(); i->if_index != 0; ++i) {
    ifreq req{};
    std::strncpy(req.ifr_name, i->if_name, IFNAMSIZ - 1);
    // IFF_LOOPBACK, not the name: loopback frames never leave the host (the forward chain covers lo).
    if (fd >= 0 && ::ioctl(fd, SIOCGIFFLAGS, &req) == 0 && (req.ifr_flags & IFF_LOOPBACK)) continue;
    if (fd < 0 && std::strcmp(i->if_name, "lo") == 0) continue;
    out.emplace_back(i->if_name);
  }
  if (fd >= 0) ::close(fd);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace nfegress::netfilter
