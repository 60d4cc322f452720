// enforcer/resolver.hpp — layer: kernel glue (thin). Issue 17, resolve on a miss: the enforcer asks a resolver of
// --dns-servers for a name's A and AAAA records itself (UDP, one query of each type, the next server on a timeout
// or error, bounded in all by `timeout`) while the flows that wait for it stay held. One lookup per name at a time;
// queries and answers are built and read by dns_answer.hpp (ldns). Must not: decide anything, block.
#pragma once
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "enforcer/dns_answer.hpp"
#include "policy/ip.hpp"

namespace nfegress::enforcer {

class Resolver {
 public:
  // Every answer that arrived (A and AAAA; empty when none came, or no server is configured).
  using Done = std::function<void(const std::string& name, std::vector<dns::Answer> answers)>;

  Resolver(boost::asio::io_context& io, std::vector<policy::IpAddr> servers, std::chrono::milliseconds timeout,
           Done done);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  void resolve(const std::string& name);  // no-op while the same name is being resolved
  std::size_t in_flight() const { return lookups_.size(); }

 private:
  struct Lookup;
  void start(const std::shared_ptr<Lookup>& l);
  void receive(const std::shared_ptr<Lookup>& l);
  void finish(const std::string& name);

  boost::asio::io_context& io_;
  std::vector<policy::IpAddr> servers_;
  std::chrono::milliseconds timeout_;
  Done done_;
  std::map<std::string, std::shared_ptr<Lookup>> lookups_;
  std::mt19937 ids_;
};

}  // namespace nfegress::enforcer
