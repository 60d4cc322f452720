// tests/enforcer/queue_socket_kernel_test.cpp — privileged: the queue socket and the worker's wake-up against the
// real kernel, inside a private network namespace (unshare, see main). Only the kernel's datagrams are parsed (a
// forged packet message from a userspace socket only wakes the reader); a WakeSocket wakes a blocked read; the
// receive timeout returns; a worker runs what is posted to it and stops.
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "enforcer/queue_socket.hpp"
#include "enforcer/queue_worker.hpp"
#include "engine_policy.hpp"
#include "kernel_packet.hpp"
#include "tests/netns/own_netns.hpp"

namespace nfegress::enforcer {
namespace {

using namespace std::chrono_literals;

QueueSocketOptions queue(std::uint16_t q) {
  QueueSocketOptions o;
  nfq::QueueConfig c;
  c.queue = q;
  o.queues.push_back(c);
  o.rcvbuf = 1 << 20;
  return o;
}

// A forger holding CAP_NET_ADMIN (needed to send to another socket's port id at all) sends a well-formed packet
// message: the reader reports a wake-up, hands nothing to the engine and counts nothing.
TEST(QueueSocketKernel, ADatagramFromUserspaceIsNeverParsed) {
  Counters c;
  QueueSocket s(queue(7), c);
  s.set_receive_timeout(5s);
  netfilter::SocketPtr forger(mnl_socket_open(NETLINK_NETFILTER));
  ASSERT_TRUE(forger);
  ASSERT_EQ(mnl_socket_bind(forger.get(), 0, MNL_SOCKET_AUTOPID), 0);
  const auto msg = test::kernel_packet(7, 1, {0x45, 0, 0, 20}, 0x00100000u);
  sockaddr_nl to{};
  to.nl_family = AF_NETLINK;
  to.nl_pid = s.portid();
  ASSERT_EQ(sendto(mnl_socket_get_fd(forger.get()), msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&to),
                   sizeof to),
            static_cast<ssize_t>(msg.size()));
  int handled = 0;
  EXPECT_EQ(s.read_one([&](const nfq::PacketMsg&) { ++handled; }, true), QueueSocket::Read::Wake);
  EXPECT_EQ(handled, 0);
  EXPECT_EQ(c.packets_received.get(), 0u);
  EXPECT_EQ(c.packets_malformed.get(), 0u);
}

TEST(QueueSocketKernel, AWakeSocketWakesABlockedRead) {
  Counters c;
  QueueSocket s(queue(8), c);
  s.set_receive_timeout(10s);  // far longer than the test waits: only the wake-up can end the read in time
  WakeSocket w;
  auto read = std::async(std::launch::async, [&] {
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = s.read_one([](const nfq::PacketMsg&) {}, true);
    return std::make_pair(r, std::chrono::steady_clock::now() - t0);
  });
  std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(w.wake(s.portid()));
  ASSERT_EQ(read.wait_for(5s), std::future_status::ready) << "the wake-up did not end the blocked read";
  const auto [r, took] = read.get();
  EXPECT_EQ(r, QueueSocket::Read::Wake);
  EXPECT_LT(took, 5s);
}

TEST(QueueSocketKernel, TheReceiveTimeoutEndsAnIdleRead) {
  Counters c;
  QueueSocket s(queue(9), c);
  s.set_receive_timeout(50ms);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(s.read_one([](const nfq::PacketMsg&) {}, true), QueueSocket::Read::Idle);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 40ms);
  EXPECT_EQ(s.read_one([](const nfq::PacketMsg&) {}, false), QueueSocket::Read::Idle);  // nothing waiting
  EXPECT_EQ(c.receive_errors.get(), 0u);
}

// What is posted runs on the worker's thread, in order, and the stop ends the thread.
TEST(QueueSocketKernel, AWorkerRunsItsPostsInOrderAndStops) {
  WorkerOptions o;
  o.client_ns = "app";
  o.queue.queue = 10;
  o.rcvbuf = 1 << 20;
  o.park = false;
  o.park_off = "test";
  QueueWorker w(test::compile_engine_policy(), o);
  w.start();
  std::promise<std::string> done;
  std::string order;
  std::thread::id ran_on;
  for (int i = 0; i < 5; ++i) w.post([&order, i] { order += std::to_string(i); });
  w.post([&] {
    ran_on = std::this_thread::get_id();
    done.set_value(order);
  });
  auto f = done.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(f.get(), "01234");
  EXPECT_NE(ran_on, std::this_thread::get_id());
  const auto t0 = std::chrono::steady_clock::now();
  w.stop_and_join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

}  // namespace
}  // namespace nfegress::enforcer

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // Never the host's queues: every test runs in a network namespace of its own.
  if (const auto code = nfegress::test::enter_own_netns("binds NFQUEUE queues")) return *code;
  return RUN_ALL_TESTS();
}
