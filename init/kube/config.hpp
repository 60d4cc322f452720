// init/kube/config.hpp — layer: input (Kubernetes API source). Where the API server is and how to authenticate:
// the current context of a kubeconfig file, or the pod's service account (in-cluster). Reads only the files it
// is pointed at; no network, no global state. Errors are returned as text that names the file and field.
#pragma once
#include <string>
#include <string_view>

namespace nfegress::kube {

struct Config {
  std::string host;             // "10.96.0.1", "api.example.org", "::1" (no brackets)
  std::string port = "443";
  std::string base_path;        // path prefix of the server URL, usually empty
  std::string tls_server_name;  // name the certificate must carry; empty = host
  std::string ca_pem;           // trusted CA bundle, PEM (required: nfegress never skips verification)
  std::string token;            // static bearer token
  std::string token_file;       // bearer token file, re-read when it changes (service-account rotation)
  std::string client_cert_pem;  // client certificate authentication (kubeconfig)
  std::string client_key_pem;
  std::string origin;           // "kubeconfig /path (context NAME)" or "in-cluster service account", for messages

  std::string server() const;   // "https://host:port" for messages
};

constexpr const char* kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

// The current context of a kubeconfig file. Supports server, certificate-authority(-data), tls-server-name, token,
// tokenFile, client-certificate(-data), client-key(-data); refuses insecure-skip-tls-verify, exec and auth-provider.
bool load_kubeconfig(const std::string& path, Config& out, std::string& error);

// KUBERNETES_SERVICE_HOST/PORT and the service account's ca.crt and token (token re-read on rotation).
bool in_cluster_config(Config& out, std::string& error, const std::string& sa_dir = kServiceAccountDir);

// "https://host[:port][/prefix]" -> host, port, base_path. Only https.
bool parse_server_url(std::string_view url, Config& out, std::string& error);

// Whole file into `out`; false (with errno text in `error`) when it cannot be read.
bool read_file(const std::string& path, std::string& out, std::string& error);

}  // namespace nfegress::kube
