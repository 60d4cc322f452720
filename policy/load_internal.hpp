// policy/load_internal.hpp — layer: input (internal to the loader). The steps behind load.hpp: one parsed
// document -> resources (load_object.cpp), a route spec -> Route (load_route.cpp), RFC 3339 timestamps. No I/O.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "policy/load.hpp"
#include "policy/load_reader.hpp"
#include "policy/yaml_tree.hpp"

namespace nfegress::policy::detail {

struct LoadContext {
  const std::string& file;
  const LoadOptions& options;
  std::uint64_t& order;  // global input position, shared by every input of one load
  LoadResult& out;
};

// One document of a stream: a resource, a `kind: List` (or FooList) of them, or something skipped.
void load_document(LoadContext& ctx, const yaml::Document& doc);

// spec of HTTPRoute / GRPCRoute / TLSRoute / TCPRoute.
void read_route_spec(Reader& r, std::uint32_t spec, Route& route);

// "2024-05-01T12:00:00Z", "2024-05-01T12:00:00.5+02:00" -> seconds since the epoch (UTC).
std::optional<std::int64_t> parse_rfc3339(std::string_view s);

}  // namespace nfegress::policy::detail
