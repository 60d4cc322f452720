// policy/load_internal.hpp — layer: input (internal to the loader). The steps behind load.hpp: one parsed
// document -> resources (load_object.cpp), a route spec -> Route (load_route.cpp), RFC 3339 timestamps. No I/O.
#pragma once
#include <cstddef>
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

// How one stream is spread over threads (load_stream.cpp). Threads take the next piece as they finish one, so
// with several pieces per thread a helper that gets no CPU (a busy machine) delays the load by at most a piece.
inline constexpr std::size_t kPiecesPerThread = 4;
struct StreamPlan {
  std::size_t min_bytes = std::size_t{1} << 20;  // smaller streams are parsed in one piece on the calling thread
  unsigned threads = 0;                          // 0: std::thread::hardware_concurrency(), at most 8
  std::size_t pieces = 0;                        // 0: kPiecesPerThread per thread
};

// Parses every document of `bytes` and maps it onto ctx.out (load_document), in stream order. A large stream is
// cut into pieces (policy/yaml_split.hpp) parsed on several threads and merged, so that resources, input order,
// diagnostics, skipped notes and locations are exactly those of load_stream_sequential(); if any piece has a
// syntax error the whole stream is parsed again sequentially (that error and the documents kept before it are
// then the sequential ones). Returns false with `error` filled like yaml::parse_stream.
bool load_stream(LoadContext& ctx, std::string_view bytes, yaml::ParseError& error, const StreamPlan& plan = {});
// The whole stream in one piece on the calling thread.
bool load_stream_sequential(LoadContext& ctx, std::string_view bytes, yaml::ParseError& error);

// spec of HTTPRoute / GRPCRoute / TLSRoute / TCPRoute.
void read_route_spec(Reader& r, std::uint32_t spec, Route& route);

// "2024-05-01T12:00:00Z", "2024-05-01T12:00:00.5+02:00" -> seconds since the epoch (UTC).
std::optional<std::int64_t> parse_rfc3339(std::string_view s);

}  // namespace nfegress::policy::detail
