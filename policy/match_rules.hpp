// policy/match_rules.hpp — layer: pure decision (matcher internals). HTTP and gRPC rule matches compiled once (regexes
// precompiled) and scored against a request (docs/policy-reference.md, "Routes"). Must not: allocate or throw while
// matching, know about hostnames, ports or backends.
#pragma once
#include <array>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "policy/match.hpp"
#include "policy/model.hpp"

namespace nfegress::policy::detail {

struct CompiledString {
  StringMatchType type = StringMatchType::Exact;
  std::string value;
  std::optional<std::regex> re;  // RegularExpression; nullopt + bad = invalid pattern (never matches)
  bool bad = false;
  bool matches(std::string_view s) const;  // whole-string match; never throws
};

struct CompiledHeader {
  std::string name;  // lowercased for headers, as written for query params
  CompiledString value;
};

struct CompiledHttpMatch {
  StringMatchType path_type = StringMatchType::PathPrefix;
  CompiledString path;          // PathPrefix value without trailing '/' ("" = "/")
  std::size_t path_len = 1;     // the matched-path-length part of the score for Exact/PathPrefix
  std::vector<CompiledHeader> headers;
  std::vector<CompiledHeader> query;
  std::optional<std::string> method;
};

struct CompiledGrpcMatch {
  std::optional<CompiledString> service;
  std::optional<CompiledString> method;
  std::vector<CompiledHeader> headers;
};

// score = (matched path length, header matches, query matches, method present) for HTTP;
// (service given + method given, header matches, 0, 0) for gRPC. Higher wins.
using Score = std::array<std::size_t, 4>;

struct CompiledRule {
  std::vector<CompiledHttpMatch> http;  // empty = one match: PathPrefix "/"
  std::vector<CompiledGrpcMatch> grpc;  // empty = match every call
};

CompiledRule compile_rule(const RouteRule& rule, std::vector<std::string>* errors);

// Best score of the rule's matches against the request, nullopt if none matches.
std::optional<Score> match_http(const CompiledRule& rule, const RequestInfo& req);
std::optional<Score> match_grpc(const CompiledRule& rule, const RequestInfo& req);

}  // namespace nfegress::policy::detail
