// init/source.cpp — layer: command line. See source.hpp.
#include "init/source.hpp"

namespace nfegress::cli {

policy::LoadResult load_input(const CommonOptions& o) { return policy::load_paths(o.paths, o.load); }

}  // namespace nfegress::cli
