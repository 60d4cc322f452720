// policy/model.cpp — layer: pure model.
#include "policy/model.hpp"

namespace nfegress::policy {

const char* route_kind_name(RouteKind k) {
  switch (k) {
    case RouteKind::GRPC: return "GRPCRoute";
    case RouteKind::HTTP: return "HTTPRoute";
    case RouteKind::TLS: return "TLSRoute";
    case RouteKind::TCP: return "TCPRoute";
  }
  return "Route";
}

bool created_before(const ObjectMeta& a, const ObjectMeta& b) {
  if (a.creation == b.creation) return false;
  if (!a.creation) return true;
  if (!b.creation) return false;
  return *a.creation < *b.creation;
}

bool older_than(const ObjectMeta& a, const ObjectMeta& b) {
  if (a.creation != b.creation) return created_before(a, b);
  return a.input_order < b.input_order;
}

}  // namespace nfegress::policy
