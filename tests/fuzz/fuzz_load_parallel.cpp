// tests/fuzz/fuzz_load_parallel.cpp — libFuzzer target: any bytes loaded as one stream sequentially and cut into
// pieces on threads (load_stream with no size threshold, a cut at every document start up to 64 pieces, 3
// threads). Invariant: both give the same resources (with input order and field locations), diagnostics,
// skipped notes, success and first syntax error.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "policy/load_internal.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

struct Loaded {
  nfegress::policy::LoadResult out;
  std::uint64_t order = 3;  // as after an earlier input
  nfegress::policy::yaml::ParseError error;
  bool ok = false;
};

void load(std::string_view bytes, const nfegress::policy::detail::StreamPlan* plan, Loaded& r) {
  using namespace nfegress::policy;
  static const std::string file = "fuzz.yaml";
  static const LoadOptions options;
  detail::LoadContext ctx{file, options, r.order, r.out};
  r.ok = plan ? detail::load_stream(ctx, bytes, r.error, *plan) : detail::load_stream_sequential(ctx, bytes, r.error);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Loaded seq, par;
  load(bytes, nullptr, seq);
  const nfegress::policy::detail::StreamPlan plan{0, 3, 64};
  load(bytes, &plan, par);
  FUZZ_CHECK(par.ok == seq.ok);
  FUZZ_CHECK(par.error.message == seq.error.message);
  FUZZ_CHECK(par.error.line == seq.error.line && par.error.column == seq.error.column);
  FUZZ_CHECK(par.order == seq.order);
  FUZZ_CHECK(par.out.resources == seq.out.resources);
  FUZZ_CHECK(par.out.diagnostics == seq.out.diagnostics);
  FUZZ_CHECK(par.out.skipped == seq.out.skipped);
  return 0;
}
