// tests/enforcer/reload_fixtures.hpp — test-only: a fake kernel sink that records batches (and can fail), and a
// small manifest (one EgressNetwork with a TLSRoute on 443) whose CIDR and trafficPolicy the tests vary.
#pragma once
#include <cerrno>
#include <string>
#include <thread>
#include <vector>

#include "enforcer/reload.hpp"
#include "policy/load.hpp"
#include "policy/validate.hpp"

namespace nfegress::enforcer::testing {

struct Sent {
  std::vector<std::string> objects;
  bool commit = true;
};

class FakeKernel : public KernelSink {
 public:
  std::uint32_t next_seq() override { return seq_; }
  std::optional<netfilter::KernelError> send(const netfilter::Batch& b) override {
    send_thread = std::this_thread::get_id();
    seq_ = b.last_seq() + 2;
    sent.push_back({b.objects, b.commit});
    if (fail_next > 0) {
      --fail_next;
      return netfilter::KernelError{ENOENT, b.objects.empty() ? "" : b.objects.front(), ""};
    }
    return std::nullopt;
  }
  std::vector<Sent> sent;
  int fail_next = 0;
  std::thread::id send_thread;  // where the last batch was sent from

 private:
  std::uint32_t seq_ = 1;
};

inline std::string manifest(const std::string& cidr, const std::string& policy = "Deny") {
  return "apiVersion: policy.linkerd.io/v1alpha1\n"
         "kind: EgressNetwork\n"
         "metadata: {name: web, namespace: app}\n"
         "spec:\n"
         "  trafficPolicy: " + policy + "\n"
         "  networks:\n"
         "  - cidr: " + cidr + "\n"
         "---\n"
         "apiVersion: gateway.networking.k8s.io/v1alpha2\n"
         "kind: TLSRoute\n"
         "metadata: {name: tls, namespace: app}\n"
         "spec:\n"
         "  parentRefs: [{name: web, kind: EgressNetwork, group: policy.linkerd.io, port: 443}]\n"
         "  hostnames: [example.org]\n"
         "  rules: [{backendRefs: [{name: web, kind: EgressNetwork, group: policy.linkerd.io}]}]\n";
}

inline policy::LoadResult load(const std::string& yaml) {
  auto r = policy::load_buffer("policy.yaml", yaml);
  auto v = policy::validate(r.resources, {});
  r.diagnostics.insert(r.diagnostics.end(), v.begin(), v.end());
  return r;
}

}  // namespace nfegress::enforcer::testing
