// tests/kube/config_test.cpp — unit tests of init/kube's pure and file-only parts: server URLs, kubeconfig
// (inline base64 data, relative paths, refused options), in-cluster configuration, the token file, and the
// conversion of API objects through the manifest loader. No network.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "init/kube/config.hpp"
#include "init/kube/objects.hpp"
#include "init/kube/token.hpp"

namespace {

using namespace nfegress::kube;
namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/nfegress-kube-test.XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string write(const std::string& name, const std::string& text) const {
    const auto p = (fs::path(path_) / name).string();
    std::ofstream(p) << text;
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string base64(const std::string& s) {
  std::string out(4 * ((s.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

TEST(ServerUrl, HostPortPrefixAndIpv6) {
  Config c;
  std::string err;
  ASSERT_TRUE(parse_server_url("https://[2001:db8::1]:6443/k8s/", c, err)) << err;
  EXPECT_EQ(c.host, "2001:db8::1");
  EXPECT_EQ(c.port, "6443");
  EXPECT_EQ(c.base_path, "/k8s");
  EXPECT_EQ(c.server(), "https://[2001:db8::1]:6443/k8s");
  ASSERT_TRUE(parse_server_url("https://api.example.org", c, err)) << err;
  EXPECT_EQ(c.host, "api.example.org");
  EXPECT_EQ(c.port, "443");
  EXPECT_FALSE(parse_server_url("http://api.example.org", c, err));
  EXPECT_NE(err.find("only https://"), std::string::npos);
  EXPECT_FALSE(parse_server_url("https://api:x", c, err));
}

std::string kubeconfig(const std::string& cluster, const std::string& user) {
  return "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
         "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
         "clusters: [{name: k, cluster: {" + cluster + "}}]\n"
         "users: [{name: u, user: {" + user + "}}]\n";
}

TEST(Kubeconfig, InlineDataAndToken) {
  TempDir d;
  const auto path = d.write("kc", kubeconfig("server: 'https://192.0.2.10:6443', certificate-authority-data: " +
                                             base64("CA PEM\n") + ", tls-server-name: kube.test",
                                             "token: abc, client-certificate-data: " + base64("CERT") +
                                                 ", client-key-data: " + base64("KEY")));
  Config c;
  std::string err;
  ASSERT_TRUE(load_kubeconfig(path, c, err)) << err;
  EXPECT_EQ(c.host, "192.0.2.10");
  EXPECT_EQ(c.port, "6443");
  EXPECT_EQ(c.ca_pem, "CA PEM\n");
  EXPECT_EQ(c.tls_server_name, "kube.test");
  EXPECT_EQ(c.token, "abc");
  EXPECT_EQ(c.client_cert_pem, "CERT");
  EXPECT_EQ(c.client_key_pem, "KEY");
  EXPECT_NE(c.origin.find("context c"), std::string::npos);
}

TEST(Kubeconfig, RelativeFilesAreRelativeToTheKubeconfig) {
  TempDir d;
  d.write("ca.crt", "FILE CA");
  const auto path = d.write("kc", kubeconfig("server: 'https://192.0.2.10', certificate-authority: ca.crt",
                                             "tokenFile: token"));
  Config c;
  std::string err;
  ASSERT_TRUE(load_kubeconfig(path, c, err)) << err;
  EXPECT_EQ(c.ca_pem, "FILE CA");
  EXPECT_EQ(c.token_file, d.path() + "/token");
}

TEST(Kubeconfig, RefusesWhatWouldWeakenOrCannotBeDone) {
  TempDir d;
  const std::string ca = "certificate-authority-data: " + base64("CA");
  struct Case {
    std::string cluster, user, want;
  } cases[] = {
      {"server: 'https://h', insecure-skip-tls-verify: true, " + ca, "token: t", "insecure-skip-tls-verify"},
      {"server: 'https://h'", "token: t", "no certificate-authority"},
      {"server: 'https://h', " + ca, "exec: {command: aws}", "exec and auth-provider"},
      {"server: 'http://h', " + ca, "token: t", "only https://"},
      {"server: 'https://h', certificate-authority-data: '!!notbase64'", "token: t", "not valid base64"},
  };
  for (const auto& c : cases) {
    Config cfg;
    std::string err;
    EXPECT_FALSE(load_kubeconfig(d.write("kc", kubeconfig(c.cluster, c.user)), cfg, err)) << c.want;
    EXPECT_NE(err.find(c.want), std::string::npos) << err;
  }
  Config cfg;
  std::string err;
  EXPECT_FALSE(load_kubeconfig(d.path() + "/missing", cfg, err));
  EXPECT_NE(err.find("cannot read"), std::string::npos) << err;
}

TEST(InCluster, ServiceAccountAndEnvironment) {
  TempDir d;
  d.write("ca.crt", "SA CA");
  d.write("token", "tok\n");
  setenv("KUBERNETES_SERVICE_HOST", "2001:db8::443", 1);
  setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  Config c;
  std::string err;
  ASSERT_TRUE(in_cluster_config(c, err, d.path())) << err;
  EXPECT_EQ(c.server(), "https://[2001:db8::443]:443");
  EXPECT_EQ(c.ca_pem, "SA CA");
  EXPECT_EQ(c.token_file, d.path() + "/token");
  unsetenv("KUBERNETES_SERVICE_HOST");
  EXPECT_FALSE(in_cluster_config(c, err, d.path()));
  EXPECT_NE(err.find("--kubeconfig"), std::string::npos);
}

TEST(Token, ReReadWhenTheFileChangesOrWhenForced) {
  TempDir d;
  const auto file = d.write("token", "one\n");
  TokenSource t("", file);
  std::string err;
  EXPECT_EQ(t.get(false, err).value_or("?"), "one");
  d.write("token", "three\n");  // another size: seen without forcing
  EXPECT_EQ(t.get(false, err).value_or("?"), "three");
  const auto mtime = fs::last_write_time(file);
  d.write("token", "seven\n");  // same size, same mtime: only a forced read sees it
  fs::last_write_time(file, mtime);
  EXPECT_EQ(t.get(false, err).value_or("?"), "three");
  EXPECT_EQ(t.get(true, err).value_or("?"), "seven");
  fs::remove(file);
  EXPECT_FALSE(t.get(false, err));
  EXPECT_NE(err.find("cannot read token"), std::string::npos);
  TokenSource fixed("static", "");
  EXPECT_EQ(fixed.get(true, err).value_or("?"), "static");
}

TEST(Objects, ThroughTheLoaderWithApiLocations) {
  ObjectMap objects;
  const Scope s{0, "v1alpha1", "app"};  // EgressNetwork
  auto en = nlohmann::json::parse(R"({"metadata": {"name": "b", "namespace": "app", "managedFields": [{}],
      "creationTimestamp": "2024-01-01T00:00:00Z"}, "spec": {"trafficPolicy": "Allow", "networks": [{"cidr": "203.0.113.0/33"}]},
      "status": {"conditions": []}})");
  ASSERT_TRUE(put_object(objects, s, en));
  en["metadata"]["name"] = "a";
  en["spec"]["networks"][0]["cidr"] = "203.0.113.0/24";
  ASSERT_TRUE(put_object(objects, s, en));
  EXPECT_FALSE(put_object(objects, s, nlohmann::json::parse(R"({"metadata": {}})")));
  const auto& stored = objects.begin()->second;
  EXPECT_EQ(stored["kind"], "EgressNetwork");
  EXPECT_EQ(stored["apiVersion"], "policy.linkerd.io/v1alpha1");
  EXPECT_FALSE(stored.contains("status"));
  EXPECT_FALSE(stored["metadata"].contains("managedFields"));

  const auto r = to_load_result(objects, {});
  ASSERT_EQ(r.resources.networks.size(), 2u);
  EXPECT_EQ(r.resources.networks[0].meta.name, "a");  // deterministic: (type, namespace, name)
  EXPECT_EQ(r.resources.networks[1].meta.input_order, 1u);
  ASSERT_EQ(r.diagnostics.size(), 1u) << r.diagnostics[0].format();
  EXPECT_EQ(r.diagnostics[0].loc.file, "kube:app/EgressNetwork/b");
  EXPECT_GT(r.diagnostics[0].loc.line, 1);

  ObjectMap fresh;
  put_object(fresh, s, en);
  EXPECT_TRUE(replace_scope(objects, s, fresh));   // "b" went away
  EXPECT_FALSE(replace_scope(objects, s, fresh));  // nothing new
  EXPECT_EQ(objects.size(), 1u);
  EXPECT_EQ(Scope({1, "v1", "app"}).path(), "/apis/gateway.networking.k8s.io/v1/namespaces/app/httproutes");
}

}  // namespace
