// tests/netfilter/dns_options_test.cpp — init/dns_options.cpp: the nameservers of a resolv.conf text, loopback
// resolvers never learned from (one warning naming them), systemd-resolved's upstreams behind a local stub, and
// the name-binding options through cli::parse (the DNS queue's default and its overlap check, bad addresses
// named with their option, `off` reading nothing). resolv.conf files are fixtures in a temporary directory.
#include <gtest/gtest.h>
#include <thread>
#include <algorithm>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "init/cli.hpp"
#include "init/dns_options.hpp"

namespace nfegress::cli {
namespace {

using policy::IpAddr;
using NameBinding = policy::KernelOptions::NameBinding;

IpAddr ip(const char* s) { return *policy::parse_ip(s); }
std::string all(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

TEST(ResolvConf, NameserverLinesOnly) {
  std::vector<std::string> warnings;
  const auto got = resolv_conf_nameservers(
      "# generated\n; also a comment\nsearch svc.cluster.local cluster.local\nnameserver 10.96.0.10\n"
      "  nameserver\t2001:db8::53  # trailing\noptions ndots:5\nnameserver fe80::1%eth0\nnameserverx 192.0.2.9\n"
      "nameserver not-an-ip\nnameserver 192.0.2.53\r\n",
      "/etc/resolv.conf", warnings);
  EXPECT_EQ(got, (std::vector<IpAddr>{ip("10.96.0.10"), ip("2001:db8::53"), ip("fe80::1"), ip("192.0.2.53")}));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], "/etc/resolv.conf:9: nameserver 'not-an-ip' is not an IP address; skipped");
}

TEST(ResolvConf, Loopback) {
  for (const char* a : {"127.0.0.53", "127.0.0.1", "127.255.0.1", "::1", "0.0.0.0", "::", "::ffff:127.0.0.1"})
    EXPECT_TRUE(is_loopback_resolver(ip(a))) << a;
  for (const char* a : {"10.96.0.10", "169.254.20.10", "2001:db8::53", "::ffff:10.0.0.1", "128.0.0.1"})
    EXPECT_FALSE(is_loopback_resolver(ip(a))) << a;
}

TEST(ResolvConf, PodResolversAreLearned) {
  const auto d = default_dns_servers("nameserver 10.96.0.10\n", "/etc/resolv.conf", std::nullopt, "R");
  EXPECT_EQ(d.servers, std::vector<IpAddr>{ip("10.96.0.10")});
  EXPECT_TRUE(d.warnings.empty()) << all(d.warnings);
}

TEST(ResolvConf, BehindSystemdResolvedTheUpstreamsAreLearned) {
  const auto d = default_dns_servers("nameserver 127.0.0.53\noptions edns0 trust-ad\n", "/etc/resolv.conf",
                                     "nameserver 192.0.2.53\nnameserver 2001:db8::53\n",
                                     "/run/systemd/resolve/resolv.conf");
  EXPECT_EQ(d.servers, (std::vector<IpAddr>{ip("192.0.2.53"), ip("2001:db8::53")}));
  ASSERT_EQ(d.warnings.size(), 1u) << all(d.warnings);  // once, naming the stub and what is learned instead
  EXPECT_NE(d.warnings[0].find("127.0.0.53 (loopback) are never learned"), std::string::npos) << d.warnings[0];
  EXPECT_NE(d.warnings[0].find("CAP_NET_RAW"), std::string::npos) << d.warnings[0];
  EXPECT_NE(d.warnings[0].find("/run/systemd/resolve/resolv.conf, 192.0.2.53, 2001:db8::53"), std::string::npos)
      << d.warnings[0];
}

TEST(ResolvConf, LoopbackNextToARealResolverIsDropped) {
  const auto d = default_dns_servers("nameserver 169.254.20.10\nnameserver 127.0.0.1\nnameserver 169.254.20.10\n",
                                     "/etc/resolv.conf", "nameserver 192.0.2.53\n", "R");
  EXPECT_EQ(d.servers, std::vector<IpAddr>{ip("169.254.20.10")});  // the upstreams are not needed, duplicates once
  ASSERT_EQ(d.warnings.size(), 1u) << all(d.warnings);
  EXPECT_NE(d.warnings[0].find("127.0.0.1 (loopback)"), std::string::npos);
}

TEST(ResolvConf, NothingToLearnIsAWarningNotAnError) {
  const auto stub_only = default_dns_servers("nameserver 127.0.0.53\n", "/etc/resolv.conf", std::nullopt, "R");
  EXPECT_TRUE(stub_only.servers.empty());
  ASSERT_EQ(stub_only.warnings.size(), 2u) << all(stub_only.warnings);
  EXPECT_NE(stub_only.warnings[1].find("no DNS resolver to learn from"), std::string::npos);
  EXPECT_NE(stub_only.warnings[1].find("the enforcer resolves each name itself"), std::string::npos);
  const auto unreadable = default_dns_servers(std::nullopt, "/etc/resolv.conf", std::nullopt, "R");
  EXPECT_TRUE(unreadable.servers.empty());
  ASSERT_EQ(unreadable.warnings.size(), 1u);
  EXPECT_NE(unreadable.warnings[0].find("/etc/resolv.conf (unreadable)"), std::string::npos);
  const auto empty = default_dns_servers("search example\n", "/etc/resolv.conf", "nameserver 192.0.2.53\n", "R");
  EXPECT_TRUE(empty.servers.empty());  // no stub named: resolved's file is not consulted
}

// cli::parse with the kernel options, resolv.conf fixtures in a temporary directory.
class Parse : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("nfegress-dns-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    write("resolv.conf", "nameserver 192.0.2.53\nnameserver 127.0.0.53\n");
    write("upstream.conf", "nameserver 198.51.100.53\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }

  bool run(std::vector<std::string> args) {
    o_ = CommonOptions{};
    o_.resolv_conf = (dir_ / "resolv.conf").string();
    o_.resolved_conf = (dir_ / "upstream.conf").string();
    args.insert(args.begin(), "test");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    po::options_description d("test");
    po::positional_options_description pos;
    add_kernel_options(d, o_);
    bool help = false;
    out_.str("");
    err_.str("");
    return parse(static_cast<int>(argv.size()), argv.data(), "usage", d, pos, o_, help, out_, err_);
  }

  std::filesystem::path dir_;
  CommonOptions o_;
  std::ostringstream out_, err_;
};

TEST_F(Parse, Defaults) {
  ASSERT_TRUE(run({})) << err_.str();
  const auto& k = o_.kernel;
  EXPECT_EQ(k.name_binding, NameBinding::Resolve);
  EXPECT_EQ(k.dns_servers, std::vector<IpAddr>{ip("192.0.2.53")});  // the stub dropped, with one warning
  // Issue 19: one flow queue per online CPU (at most 16), the DNS queue after them.
  const unsigned cpus = std::clamp(std::thread::hardware_concurrency(), 1u, kMaxAutoQueues);
  EXPECT_EQ(k.queue_total, cpus);
  EXPECT_EQ(k.dns_queue, 100 + cpus);  // after the flow queues 100..
  EXPECT_FALSE(k.strip_ech);
  EXPECT_NE(err_.str().find("nfegress: warning: DNS answers of 127.0.0.53 (loopback) are never learned"),
            std::string::npos)
      << err_.str();
}

TEST(QueueTotal, AutoIsOnePerCpuWithinBounds) {
  std::ostringstream err;
  EXPECT_EQ(resolve_queue_total("auto", 2, err), 2);
  EXPECT_EQ(resolve_queue_total("auto", 0, err), 1);  // hardware_concurrency() may not know: one queue
  EXPECT_EQ(resolve_queue_total("auto", 64, err), 16);
  EXPECT_EQ(resolve_queue_total("3", 64, err), 3);  // a number is taken as it is
  EXPECT_EQ(resolve_queue_total("1", 8, err), 1);
  EXPECT_TRUE(err.str().empty()) << err.str();
  for (const char* bad : {"0", "x", "2x", "-1", "70000", ""}) {
    std::ostringstream e;
    EXPECT_FALSE(resolve_queue_total(bad, 2, e)) << bad;
    EXPECT_NE(e.str().find("--queue-total must be auto or a number"), std::string::npos) << e.str();
  }
}

TEST_F(Parse, QueueTotalGivenOrPastTheLastQueue) {
  ASSERT_TRUE(run({"--queue-total", "3"})) << err_.str();
  EXPECT_EQ(o_.kernel.queue_total, 3);
  EXPECT_EQ(o_.kernel.dns_queue, 103);
  EXPECT_FALSE(run({"--queue-num", "65534", "--queue-total", "3"}));  // given: refused, never shortened
  EXPECT_NE(err_.str().find("goes past queue 65535"), std::string::npos) << err_.str();
}

TEST_F(Parse, ExplicitOptions) {
  ASSERT_TRUE(run({"--name-binding", "strict", "--dns-servers", "203.0.113.53, 2001:db8::53", "--dns-queue", "7",
                   "--strip-ech"}))
      << err_.str();
  EXPECT_EQ(o_.kernel.name_binding, NameBinding::Strict);
  EXPECT_EQ(o_.kernel.dns_servers, (std::vector<IpAddr>{ip("203.0.113.53"), ip("2001:db8::53")}));
  EXPECT_EQ(o_.kernel.dns_queue, 7);
  EXPECT_TRUE(o_.kernel.strip_ech);
  EXPECT_TRUE(err_.str().empty()) << err_.str();
  ASSERT_TRUE(run({"--queue-num", "200", "--queue-total", "4"}));
  EXPECT_EQ(o_.kernel.dns_queue, 204);
}

TEST_F(Parse, OffReadsNothingAndQueuesNothing) {
  write("resolv.conf", "nameserver 127.0.0.53\n");  // would warn if it were read
  ASSERT_TRUE(run({"--name-binding", "off"}));
  EXPECT_EQ(o_.kernel.name_binding, NameBinding::Off);
  EXPECT_TRUE(o_.kernel.dns_servers.empty());
  EXPECT_FALSE(o_.kernel.learns_dns());
  EXPECT_TRUE(err_.str().empty()) << err_.str();
  ASSERT_TRUE(run({"--name-binding", "off", "--dns-servers", "192.0.2.53"}));
  EXPECT_TRUE(o_.kernel.dns_servers.empty());
  ASSERT_TRUE(run({"--name-binding", "off", "--queue-num", "65535"})) << err_.str();  // no DNS queue needed
}

TEST_F(Parse, DnsQueueMustNotBeAFlowQueue) {
  EXPECT_FALSE(run({"--dns-queue", "100", "--queue-total", "1"}));
  EXPECT_NE(err_.str().find("--dns-queue 100 overlaps the flow queues 100-100 (--queue-num, --queue-total)"),
            std::string::npos)
      << err_.str();
  EXPECT_FALSE(run({"--queue-num", "100", "--queue-total", "4", "--dns-queue", "103"}));
  EXPECT_NE(err_.str().find("overlaps the flow queues 100-103"), std::string::npos) << err_.str();
  EXPECT_TRUE(run({"--queue-num", "100", "--queue-total", "4", "--dns-queue", "99"})) << err_.str();
  EXPECT_FALSE(run({"--dns-queue", "0"}));
  EXPECT_NE(err_.str().find("--dns-queue must be 1-65535"), std::string::npos) << err_.str();
  EXPECT_FALSE(run({"--queue-num", "65535"}));  // no number left after the flow queue
  EXPECT_NE(err_.str().find("no queue number is left after the flow queues 65535-65535"), std::string::npos)
      << err_.str();
  EXPECT_TRUE(run({"--queue-num", "65535", "--dns-queue", "1"})) << err_.str();
}

TEST_F(Parse, BadValuesNameTheirOption) {
  EXPECT_FALSE(run({"--dns-servers", "192.0.2.53,resolver.example"}));
  EXPECT_NE(err_.str().find("nfegress: --dns-servers: 'resolver.example' is not an IP address"), std::string::npos)
      << err_.str();
  EXPECT_FALSE(run({"--dns-servers", "192.0.2.0/24"}));
  EXPECT_NE(err_.str().find("--dns-servers: '192.0.2.0/24'"), std::string::npos) << err_.str();
  EXPECT_FALSE(run({"--name-binding", "loose"}));
  EXPECT_NE(err_.str().find("--name-binding must be strict, resolve or off"), std::string::npos) << err_.str();
}

TEST_F(Parse, LoopbackServersAreDroppedWithAWarning) {
  ASSERT_TRUE(run({"--dns-servers", "127.0.0.53,::1"}));
  EXPECT_TRUE(o_.kernel.dns_servers.empty());
  EXPECT_NE(err_.str().find("127.0.0.53, ::1 (loopback) are never learned"), std::string::npos) << err_.str();
  EXPECT_NE(err_.str().find("--dns-servers names no resolver to learn from"), std::string::npos) << err_.str();
}

TEST_F(Parse, StubOnlyFallsBackToTheUpstreams) {
  write("resolv.conf", "nameserver 127.0.0.53\n");
  ASSERT_TRUE(run({}));
  EXPECT_EQ(o_.kernel.dns_servers, std::vector<IpAddr>{ip("198.51.100.53")});
}

}  // namespace
}  // namespace nfegress::cli
