// enforcer/resolver.cpp — layer: kernel glue (thin). See resolver.hpp.
#include "enforcer/resolver.hpp"

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <array>

namespace nfegress::enforcer {
namespace {

namespace ip = boost::asio::ip;
constexpr std::uint16_t kA = 1, kAaaa = 28;

ip::address to_asio(const policy::IpAddr& a) {
  if (a.family == policy::Family::V4) return ip::address_v4(static_cast<std::uint32_t>(a.value));
  ip::address_v6::bytes_type b;
  for (int i = 0; i < 16; ++i) b[static_cast<std::size_t>(i)] = static_cast<unsigned char>(a.value >> (8 * (15 - i)));
  return ip::address_v6(b);
}

}  // namespace

// One name: a socket per server tried in turn, both queries on it; done when both types answered, or at the
// deadline with whatever came.
struct Resolver::Lookup {
  Lookup(boost::asio::io_context& io, std::string n) : name(std::move(n)), socket(io), timer(io), deadline(io) {}
  std::string name;
  ip::udp::socket socket;
  boost::asio::steady_timer timer;     // per server
  boost::asio::steady_timer deadline;  // the whole lookup
  std::size_t server = 0;
  std::array<std::uint16_t, 2> ids{};
  std::array<bool, 2> answered{};
  std::vector<dns::Answer> answers;
  std::array<std::uint8_t, 4096> rx{};
  bool done = false;
};

Resolver::Resolver(boost::asio::io_context& io, std::vector<policy::IpAddr> servers, std::chrono::milliseconds timeout,
                   Done done)
    : io_(io), servers_(std::move(servers)), timeout_(timeout), done_(std::move(done)), ids_(std::random_device{}()) {}

Resolver::~Resolver() {
  for (auto& [name, l] : lookups_) {
    l->done = true;
    boost::system::error_code ec;
    l->socket.close(ec);
    l->timer.cancel();
    l->deadline.cancel();
  }
}

void Resolver::resolve(const std::string& name) {
  if (lookups_.contains(name)) return;
  auto l = std::make_shared<Lookup>(io_, name);
  lookups_.emplace(name, l);
  if (servers_.empty()) {  // nothing to ask: the waiting flows are decided (denied) on the next turn of the loop
    boost::asio::post(io_, [this, name] { finish(name); });
    return;
  }
  l->deadline.expires_after(timeout_);
  l->deadline.async_wait([this, l](const boost::system::error_code& ec) {
    if (!ec && !l->done) finish(l->name);
  });
  start(l);
}

void Resolver::start(const std::shared_ptr<Lookup>& l) {
  if (l->done) return;
  if (l->server >= servers_.size()) return;  // every server tried: the deadline ends it
  boost::system::error_code ec;
  l->socket.close(ec);
  const ip::udp::endpoint to(to_asio(servers_[l->server]), 53);
  l->socket.open(to.protocol(), ec);
  if (!ec) l->socket.connect(to, ec);
  const std::uint16_t types[2] = {kA, kAaaa};
  for (std::size_t i = 0; i < 2 && !ec; ++i) {
    l->ids[i] = static_cast<std::uint16_t>(ids_());
    const auto q = dns::build_query(l->name, types[i], l->ids[i]);
    if (!l->answered[i] && !q.empty()) l->socket.send(boost::asio::buffer(q), 0, ec);
  }
  // Each server gets an even share of the bound before the next one is asked.
  l->timer.expires_after(timeout_ / static_cast<int>(servers_.size()));
  l->timer.async_wait([this, l](const boost::system::error_code& e) {
    if (e || l->done) return;
    ++l->server;
    start(l);
  });
  if (ec) return;  // this server cannot be reached: the timer moves on
  receive(l);
}

void Resolver::receive(const std::shared_ptr<Lookup>& l) {
  l->socket.async_receive(boost::asio::buffer(l->rx), [this, l](const boost::system::error_code& e, std::size_t n) {
    if (e || l->done) return;
    const dns::Parsed p = dns::parse_answer({l->rx.data(), n});
    for (std::size_t i = 0; p.answer && i < 2; ++i)
      if (p.answer->id == l->ids[i] && !l->answered[i]) {
        l->answered[i] = true;
        l->answers.push_back(*p.answer);
      }
    if (l->answered[0] && l->answered[1]) return finish(l->name);
    receive(l);
  });
}

void Resolver::finish(const std::string& name) {
  auto it = lookups_.find(name);
  if (it == lookups_.end()) return;
  auto l = it->second;
  lookups_.erase(it);
  l->done = true;
  boost::system::error_code ec;
  l->socket.close(ec);
  l->timer.cancel();
  l->deadline.cancel();
  done_(name, std::move(l->answers));
}

}  // namespace nfegress::enforcer
