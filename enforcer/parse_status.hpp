// enforcer/parse_status.hpp — layer: pure parsers (shared result type).
// The outcome of running a protocol parser over a byte-stream prefix. Must not: allocate, log, throw.
#pragma once

#include <cstdint>

namespace nfegress::enforcer {

enum class ParseStatus : std::uint8_t {
  Found,            // a complete message was parsed; the output is valid
  NeedMore,         // the bytes so far are a prefix of a plausible message; call again with more
  NotThisProtocol,  // the first bytes cannot start a message of this protocol
  Malformed,        // the bytes claim to be this protocol but break its rules (or a bound): deny
};

constexpr const char* to_string(ParseStatus s) {
  switch (s) {
    case ParseStatus::Found: return "found";
    case ParseStatus::NeedMore: return "need_more";
    case ParseStatus::NotThisProtocol: return "not_this_protocol";
    case ParseStatus::Malformed: return "malformed";
  }
  return "unknown";
}

}  // namespace nfegress::enforcer
