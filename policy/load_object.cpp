// policy/load_object.cpp — layer: input. One parsed YAML/JSON document -> EgressNetworks and routes: kind and
// apiVersion dispatch, `kind: List`, metadata (namespace default, creationTimestamp, annotations) and the
// EgressNetwork spec. Semantic checks (CIDRs, trafficPolicy values, ...) are validate()'s job; this file only
// reports what cannot be represented (wrong YAML types, missing names). No I/O.
#include <algorithm>
#include <cctype>

#include "policy/load_internal.hpp"

namespace nfegress::policy::detail {
namespace {

enum class Kind { None, EgressNetwork, HTTP, GRPC, TLS, TCP };

struct ApiVersion {
  std::string group;
  std::string version;
};

ApiVersion split_api_version(const std::string& s) {
  const auto slash = s.rfind('/');
  if (slash == std::string::npos) return {"", s};
  return {s.substr(0, slash), s.substr(slash + 1)};
}

bool known_kind(const std::string& kind) {
  return kind == "EgressNetwork" || kind == "HTTPRoute" || kind == "GRPCRoute" || kind == "TLSRoute" ||
         kind == "TCPRoute";
}

Kind classify(const std::string& kind, const ApiVersion& v) {
  const bool gw = v.group == "gateway.networking.k8s.io";
  const bool linkerd = v.group == "policy.linkerd.io";
  if (kind == "EgressNetwork" && linkerd && v.version == "v1alpha1") return Kind::EgressNetwork;
  if (kind == "HTTPRoute") {
    if (gw && (v.version == "v1" || v.version == "v1beta1")) return Kind::HTTP;
    if (linkerd && (v.version == "v1beta1" || v.version == "v1beta2" || v.version == "v1beta3")) return Kind::HTTP;
  }
  if (kind == "GRPCRoute" && gw && (v.version == "v1" || v.version == "v1alpha2")) return Kind::GRPC;
  if (kind == "TLSRoute" && gw && v.version == "v1alpha2") return Kind::TLS;
  if (kind == "TCPRoute" && gw && v.version == "v1alpha2") return Kind::TCP;
  return Kind::None;
}

void file_error(LoadContext& ctx, const yaml::Node& n, std::string message) {
  Diagnostic d;
  d.loc = SourceLoc{ctx.file, n.line, n.column};
  d.message = std::move(message);
  ctx.out.diagnostics.push_back(std::move(d));
}

// Reads a top-level string (apiVersion, kind) without a Reader (no resource identity yet).
std::string top_string(LoadContext& ctx, const yaml::Document& doc, std::uint32_t map, std::string_view key) {
  std::uint32_t c = 0;
  if (!doc.find(map, key, c)) return {};
  const auto& n = doc.at(c);
  if (n.type == yaml::NodeType::Scalar) {
    const auto tag = yaml::resolve(n);
    if (tag == yaml::ScalarTag::String) return std::string(n.value);
    if (tag == yaml::ScalarTag::Null) return {};
  }
  file_error(ctx, n, std::string(key) + ": expected a string, got " + yaml::type_name(n));
  return {};
}

void read_metadata(Reader& r, std::uint32_t obj, const LoadOptions& options) {
  ObjectMeta& m = r.meta();
  const auto md = r.child(obj, "metadata");
  // Read namespace and name first so that every later diagnostic names the resource.
  if (md && r.node(*md).type == yaml::NodeType::Map) {
    r.str(*md, "namespace", "metadata", m.ns);
    r.str(*md, "name", "metadata", m.name);
  }
  if (m.ns.empty()) m.ns = options.default_namespace;
  if (!md) {
    r.error(obj, "metadata", "required");
    return;
  }
  if (!r.is_map(*md, "metadata")) return;
  if (m.name.empty()) r.error(*md, "metadata.name", "required");
  std::string ts;
  if (r.str(*md, "creationTimestamp", "metadata", ts)) {
    m.creation = parse_rfc3339(ts);
    if (!m.creation)
      r.error(*r.child(*md, "creationTimestamp"), "metadata.creationTimestamp",
              "'" + ts + "' is not an RFC 3339 timestamp (e.g. 2024-01-31T12:00:00Z)");
  }
  if (const auto ann = r.child(*md, "annotations"); ann && r.is_map(*ann, "metadata.annotations")) {
    const auto& a = r.node(*ann);
    for (std::uint32_t k = 0; k + 1 < a.count; k += 2) {
      const auto key = r.item(*ann, k);
      const auto val = r.item(*ann, k + 1);
      const std::string field = "metadata.annotations." + std::string(r.node(key).value);
      std::string v;
      if (r.node(val).type == yaml::NodeType::Scalar && yaml::resolve(r.node(val)) == yaml::ScalarTag::Null) continue;
      r.record(field, val);
      if (r.str_node(val, field, v)) m.annotations[std::string(r.node(key).value)] = std::move(v);
    }
  }
}

void read_network(Reader& r, std::uint32_t n, const std::string& field, Network& net) {
  if (!r.is_map(n, field)) return;
  r.record(field, n);
  if (!r.str(n, "cidr", field, net.cidr_text)) {
    if (!r.child(n, "cidr")) r.error(n, field + ".cidr", "required");
  } else if (auto p = parse_prefix(net.cidr_text)) {
    net.cidr = *p;
  }
  const auto ex = r.child(n, "except");
  if (!ex || !r.is_seq(*ex, field + ".except")) return;
  const std::string ef = field + ".except";
  r.record(ef, *ex);
  const std::uint32_t count = r.size(*ex);
  net.except_text.reserve(count);
  net.except.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    const auto item = r.item(*ex, i);
    const std::string f = index(ef, i);
    r.record(f, item);
    std::string text;
    if (!r.str_node(item, f, text)) continue;
    const auto p = parse_prefix(text);
    net.except_text.push_back(std::move(text));
    net.except.push_back(p.value_or(IpPrefix{}));
  }
}

void read_egress_spec(Reader& r, std::uint32_t spec, EgressNetwork& en) {
  if (r.str(spec, "trafficPolicy", "spec", en.traffic_policy_text)) {
    if (en.traffic_policy_text == "Allow") en.traffic_policy = TrafficPolicy::Allow;
    if (en.traffic_policy_text == "Deny") en.traffic_policy = TrafficPolicy::Deny;
  }
  const auto nets = r.child(spec, "networks");
  if (!nets) return;
  r.record("spec.networks", *nets);
  if (!r.is_seq(*nets, "spec.networks")) return;
  const std::uint32_t count = r.size(*nets);
  en.networks.emplace();
  en.networks->reserve(count);
  // Two paths per network ("spec.networks[N]" and ".cidr"), recorded below: one allocation, no rehashing.
  r.meta().field_locs.reserve_more(2 * std::size_t{count}, 48 * std::size_t{count});
  for (std::uint32_t i = 0; i < count; ++i) {
    Network net;
    read_network(r, r.item(*nets, i), index("spec.networks", i), net);
    en.networks->push_back(std::move(net));
  }
}

void load_object(LoadContext& ctx, const yaml::Document& doc, std::uint32_t obj, const std::string& inherited_kind,
                 const std::string& inherited_api, int depth);

void load_list(LoadContext& ctx, const yaml::Document& doc, std::uint32_t obj, const std::string& kind,
               const std::string& api, int depth) {
  std::uint32_t items = 0;
  if (!doc.find(obj, "items", items)) return;
  const auto& n = doc.at(items);
  if (n.type == yaml::NodeType::Scalar && yaml::resolve(n) == yaml::ScalarTag::Null) return;
  if (n.type != yaml::NodeType::Seq) {
    file_error(ctx, n, std::string("items: expected a list, got ") + yaml::type_name(n));
    return;
  }
  // A typed list (EgressNetworkList from the API) may leave kind/apiVersion out of its items.
  std::string item_kind, item_api;
  if (kind != "List") {
    item_kind = kind.substr(0, kind.size() - 4);
    item_api = api;
  }
  for (std::uint32_t i = 0; i < n.count; ++i) load_object(ctx, doc, doc.kid(n, i), item_kind, item_api, depth + 1);
}

void load_object(LoadContext& ctx, const yaml::Document& doc, std::uint32_t obj, const std::string& inherited_kind,
                 const std::string& inherited_api, int depth) {
  const auto& node = doc.at(obj);
  if (node.type != yaml::NodeType::Map) {
    file_error(ctx, node, std::string("expected a Kubernetes object (a mapping), got ") + yaml::type_name(node));
    return;
  }
  std::string kind = top_string(ctx, doc, obj, "kind");
  std::string api = top_string(ctx, doc, obj, "apiVersion");
  if (kind.empty()) kind = inherited_kind;
  if (api.empty()) api = inherited_api;
  const std::string where = ctx.file + ":" + std::to_string(node.line) + ": ";
  std::uint32_t items = 0;
  if (kind.size() >= 4 && kind.compare(kind.size() - 4, 4, "List") == 0 && doc.find(obj, "items", items)) {
    if (depth < 4) load_list(ctx, doc, obj, kind, api, depth);
    return;
  }
  if (kind.empty() || api.empty()) {
    ctx.out.skipped.push_back(where + "not a Kubernetes object (no apiVersion/kind): skipped");
    return;
  }
  const ApiVersion v = split_api_version(api);
  const Kind k = classify(kind, v);
  if (k == Kind::None) {
    std::string name;
    std::uint32_t md = 0, nm = 0;
    if (doc.find(obj, "metadata", md) && doc.find(md, "name", nm) && doc.at(nm).type == yaml::NodeType::Scalar)
      name = doc.at(nm).value;
    ctx.out.skipped.push_back(where + kind + " " + api + " " + name + ": skipped");
    if (known_kind(kind)) {
      Diagnostic d;
      d.severity = Severity::Warning;
      d.loc = SourceLoc{ctx.file, node.line, node.column};
      d.kind = kind;
      d.name = name;
      d.ns = ctx.options.default_namespace;
      if (doc.find(obj, "metadata", md) && doc.find(md, "namespace", nm) && doc.at(nm).type == yaml::NodeType::Scalar)
        d.ns = doc.at(nm).value;
      d.field = "apiVersion";
      d.message = "apiVersion " + api + " of " + kind + " is not supported: resource skipped";
      ctx.out.diagnostics.push_back(std::move(d));
    }
    return;
  }

  ObjectMeta meta;
  meta.loc = SourceLoc{ctx.file, node.line, node.column};
  meta.input_order = ctx.order++;
  Reader r(doc, ctx.file, ctx.out.diagnostics, meta, kind);
  read_metadata(r, obj, ctx.options);
  const auto spec = r.child(obj, "spec");
  if (k == Kind::EgressNetwork) {
    EgressNetwork en;
    if (!spec) {
      r.error(obj, "spec", "required");
    } else if (r.is_map(*spec, "spec")) {
      r.record("spec", *spec);
      read_egress_spec(r, *spec, en);
    }
    en.meta = std::move(meta);
    ctx.out.resources.networks.push_back(std::move(en));
    return;
  }
  Route route;
  route.kind = k == Kind::HTTP ? RouteKind::HTTP : k == Kind::GRPC ? RouteKind::GRPC
             : k == Kind::TLS  ? RouteKind::TLS  : RouteKind::TCP;
  route.api_group = v.group;
  route.api_version = v.version;
  if (!spec) {
    r.error(obj, "spec", "required");
  } else if (r.is_map(*spec, "spec")) {
    r.record("spec", *spec);
    read_route_spec(r, *spec, route);
  }
  route.meta = std::move(meta);
  ctx.out.resources.routes.push_back(std::move(route));
}

}  // namespace

void load_document(LoadContext& ctx, const yaml::Document& doc) {
  if (doc.empty) return;
  const auto& root = doc.at(doc.root);
  if (root.type == yaml::NodeType::Scalar && yaml::resolve(root) == yaml::ScalarTag::Null) return;
  load_object(ctx, doc, doc.root, {}, {}, 0);
}

}  // namespace nfegress::policy::detail
