// tests/fuzz/fuzz_load.cpp — libFuzzer target: any bytes through the manifest loader and validation. Must never
// crash, hang or grow without bound (alias bombs, deep nesting, invalid UTF-8, huge numbers, hostile regexes).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "policy/load.hpp"
#include "policy/validate.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto r = nfegress::policy::load_buffer("fuzz.yaml", bytes);
  auto d = nfegress::policy::validate(r.resources);
  for (const auto& x : d) (void)x.format();
  for (const auto& x : r.diagnostics) (void)x.format();
  return 0;
}
