// init/kube/config.cpp — layer: input (Kubernetes API source). See config.hpp. The kubeconfig is YAML, read
// with the manifest loader's yaml_tree; base64 fields are decoded with OpenSSL.
#include "init/kube/config.hpp"

#include <openssl/evp.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "policy/yaml_tree.hpp"

namespace nfegress::kube {
namespace {

namespace yaml = policy::yaml;

bool base64_decode(std::string_view in, std::string& out) {
  std::string s;
  for (char c : in)
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') s.push_back(c);
  if (s.size() % 4 != 0) return false;
  out.assign(s.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  if (n < 0) return false;
  std::size_t len = static_cast<std::size_t>(n);
  for (std::size_t i = s.size(); i > 0 && s[i - 1] == '=' && len > 0; --i) --len;  // padding decodes as zeros
  out.resize(len);
  return true;
}

// A string-valued key of a map, "" when absent.
std::string scalar(const yaml::Document& doc, std::uint32_t map, std::string_view key) {
  std::uint32_t c = 0;
  if (doc.at(map).type != yaml::NodeType::Map || !doc.find(map, key, c)) return {};
  const auto& n = doc.at(c);
  return n.type == yaml::NodeType::Scalar ? std::string(n.value) : std::string();
}

bool has(const yaml::Document& doc, std::uint32_t map, std::string_view key) {
  std::uint32_t c = 0;
  return doc.at(map).type == yaml::NodeType::Map && doc.find(map, key, c);
}

// `list` is a sequence of {name: N, <field>: {...}}; returns the inner map of the entry named `name`.
bool named_entry(const yaml::Document& doc, std::string_view list, std::string_view field, const std::string& name,
                 std::uint32_t& out) {
  std::uint32_t seq = 0;
  if (!doc.find(doc.root, list, seq) || doc.at(seq).type != yaml::NodeType::Seq) return false;
  const auto& s = doc.at(seq);
  for (std::uint32_t i = 0; i < s.count; ++i) {
    const auto e = doc.kid(s, i);
    if (scalar(doc, e, "name") == name && doc.find(e, field, out) && doc.at(out).type == yaml::NodeType::Map)
      return true;
  }
  return false;
}

// A PEM from `<key>-data` (base64) or from the file `<key>` (relative to the kubeconfig's directory).
bool pem_field(const yaml::Document& doc, std::uint32_t map, const std::string& key, const std::string& dir,
               std::string& out, std::string& error) {
  const auto data = scalar(doc, map, key + "-data");
  if (!data.empty()) {
    if (!base64_decode(data, out)) {
      error = key + "-data: not valid base64";
      return false;
    }
    return true;
  }
  auto file = scalar(doc, map, key);
  if (file.empty()) return true;
  if (std::filesystem::path(file).is_relative()) file = (std::filesystem::path(dir) / file).string();
  return read_file(file, out, error);
}

}  // namespace

std::string Config::server() const {
  const bool v6 = host.find(':') != std::string::npos;
  return "https://" + (v6 ? "[" + host + "]" : host) + ":" + port + base_path;
}

bool read_file(const std::string& path, std::string& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot read: " + std::strerror(errno);
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

bool parse_server_url(std::string_view url, Config& out, std::string& error) {
  constexpr std::string_view kScheme = "https://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    error = "server '" + std::string(url) + "': only https:// is supported";
    return false;
  }
  std::string_view rest = url.substr(kScheme.size());
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  out.base_path = slash == std::string_view::npos ? "" : std::string(rest.substr(slash));
  while (!out.base_path.empty() && out.base_path.back() == '/') out.base_path.pop_back();
  out.port = "443";
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      error = "server '" + std::string(url) + "': unterminated IPv6 address";
      return false;
    }
    out.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty() && authority.front() == ':') out.port = std::string(authority.substr(1));
  } else {
    const auto colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) out.port = std::string(authority.substr(colon + 1));
  }
  if (out.host.empty() || out.port.empty() || out.port.find_first_not_of("0123456789") != std::string::npos) {
    error = "server '" + std::string(url) + "': expected https://HOST[:PORT]";
    return false;
  }
  return true;
}

bool load_kubeconfig(const std::string& path, Config& out, std::string& error) {
  std::string bytes;
  if (!read_file(path, bytes, error)) return false;
  std::vector<yaml::Document> docs;
  yaml::ParseError perr;
  if (!yaml::parse_stream(bytes, docs, perr) || docs.empty() || docs[0].empty ||
      docs[0].at(docs[0].root).type != yaml::NodeType::Map) {
    error = path + ":" + std::to_string(perr.line) + ": not a kubeconfig (" +
            (perr.message.empty() ? "expected a mapping" : perr.message) + ")";
    return false;
  }
  const auto& doc = docs[0];
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const std::string ctx_name = scalar(doc, doc.root, "current-context");
  std::uint32_t ctx = 0, cluster = 0, user = 0;
  auto fail = [&](const std::string& what) {
    error = path + ": " + what;
    return false;
  };
  if (ctx_name.empty()) return fail("no current-context");
  if (!named_entry(doc, "contexts", "context", ctx_name, ctx)) return fail("context '" + ctx_name + "' not found");
  const std::string cluster_name = scalar(doc, ctx, "cluster"), user_name = scalar(doc, ctx, "user");
  if (!named_entry(doc, "clusters", "cluster", cluster_name, cluster))
    return fail("cluster '" + cluster_name + "' (context '" + ctx_name + "') not found");
  out = Config{};
  out.origin = "kubeconfig " + path + " (context " + ctx_name + ")";
  if (!parse_server_url(scalar(doc, cluster, "server"), out, error)) return fail(error);
  if (scalar(doc, cluster, "insecure-skip-tls-verify") == "true")
    return fail("cluster '" + cluster_name + "': insecure-skip-tls-verify is refused (give certificate-authority)");
  out.tls_server_name = scalar(doc, cluster, "tls-server-name");
  if (!pem_field(doc, cluster, "certificate-authority", dir, out.ca_pem, error)) return fail(error);
  if (out.ca_pem.empty())
    return fail("cluster '" + cluster_name + "': no certificate-authority(-data); nfegress always verifies the server");
  if (!user_name.empty() && named_entry(doc, "users", "user", user_name, user)) {
    if (has(doc, user, "exec") || has(doc, user, "auth-provider"))
      return fail("user '" + user_name + "': exec and auth-provider credentials are not supported (use a token)");
    out.token = scalar(doc, user, "token");
    out.token_file = scalar(doc, user, "tokenFile");
    if (!out.token_file.empty() && std::filesystem::path(out.token_file).is_relative())
      out.token_file = (std::filesystem::path(dir) / out.token_file).string();
    if (!pem_field(doc, user, "client-certificate", dir, out.client_cert_pem, error) ||
        !pem_field(doc, user, "client-key", dir, out.client_key_pem, error))
      return fail("user '" + user_name + "': " + error);
  }
  return true;
}

bool in_cluster_config(Config& out, std::string& error, const std::string& sa_dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !*host || !port || !*port) {
    error = "not in a cluster (KUBERNETES_SERVICE_HOST/PORT unset); give --kubeconfig PATH";
    return false;
  }
  out = Config{};
  out.origin = "in-cluster service account (" + sa_dir + ")";
  out.host = host;
  out.port = port;
  out.token_file = sa_dir + "/token";
  return read_file(sa_dir + "/ca.crt", out.ca_pem, error);
}

}  // namespace nfegress::kube
