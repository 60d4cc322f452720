// tests/layering/forbidden/enforcer/bad.cpp — layer: test fixture, never compiled. An enforcer source that
// includes the command line: tests/layering/check.sh must refuse it (ctest layering_detects).
#include "enforcer/counters.hpp"
#include "init/cli.hpp"
