// policy/load_stream.cpp — layer: input. One YAML/JSON stream -> documents -> resources (load_document), on the
// calling thread or, for a large stream, on several threads: the stream is cut at document starts
// (yaml_split.hpp), each piece is parsed and mapped into a LoadResult of its own (own parser, tree, diagnostics,
// input-order counter), and the pieces are appended in stream order with their input order shifted, which is
// exactly what one sequential pass appends. Nothing is shared between pieces but the read-only input, file name
// and options: libyaml keeps no global state, the loader has no interning, caches or statics, each piece counts
// its own input order and collects its own diagnostics; the model's memory comes from each thread's malloc arena
// (LoadOptions::prepare_thread, called on each helper thread, must be thread-safe). No I/O. See load_internal.hpp.
#include <algorithm>
#include <atomic>
#include <exception>
#include <iterator>
#include <system_error>
#include <thread>

#include "policy/load_internal.hpp"
#include "policy/yaml_split.hpp"

namespace nfegress::policy::detail {
namespace {

constexpr unsigned kMaxThreads = 8;

struct PieceResult {
  LoadResult out;
  std::uint64_t order = 0;  // resources in the piece (its input order counts from 0)
  yaml::ParseError error;
  bool ok = false;
};

void load_piece(const LoadContext& ctx, std::string_view bytes, const yaml::StreamPiece& piece, PieceResult& r) {
  LoadContext local{ctx.file, ctx.options, r.order, r.out};
  r.ok = yaml::parse_stream(
      bytes.substr(piece.offset, piece.size), [&local](yaml::Document& d) { load_document(local, d); }, r.error, {},
      piece.first_line);
}

template <class T>
void append(std::vector<T>& to, std::vector<T>& from) {
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

// Appends the pieces in stream order, as one sequential pass would have.
void merge(LoadContext& ctx, std::vector<PieceResult>& results) {
  auto& set = ctx.out.resources;
  for (auto& r : results) {
    for (auto& n : r.out.resources.networks) n.meta.input_order += ctx.order;
    for (auto& rt : r.out.resources.routes) rt.meta.input_order += ctx.order;
    ctx.order += r.order;
    append(set.networks, r.out.resources.networks);
    append(set.routes, r.out.resources.routes);
    append(ctx.out.diagnostics, r.out.diagnostics);
    append(ctx.out.skipped, r.out.skipped);
  }
}

// Parses every piece on up to `threads` threads (the calling one included). False when a piece failed to parse.
bool parse_pieces(const LoadContext& ctx, std::string_view bytes, const std::vector<yaml::StreamPiece>& pieces,
                  unsigned threads, std::vector<PieceResult>& results) {
  results.resize(pieces.size());
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::vector<std::exception_ptr> thrown(threads);
  auto work = [&](unsigned worker) {
    try {
      if (worker != 0 && ctx.options.prepare_thread) ctx.options.prepare_thread(bytes.size() / threads);
      while (!failed.load(std::memory_order_relaxed)) {
        const std::size_t i = next.fetch_add(1);
        if (i >= pieces.size()) break;
        load_piece(ctx, bytes, pieces[i], results[i]);
        if (!results[i].ok) failed.store(true, std::memory_order_relaxed);
      }
    } catch (...) {  // std::bad_alloc: rethrown on the calling thread
      thrown[worker] = std::current_exception();
      failed.store(true, std::memory_order_relaxed);
    }
  };
  {
    std::vector<std::jthread> helpers;
    helpers.reserve(threads - 1);
    try {
      for (unsigned w = 1; w < threads; ++w) helpers.emplace_back(work, w);
    } catch (const std::system_error&) {
      // No more threads: the ones running (and this one) take the remaining pieces.
    }
    work(0);
  }  // joins the helpers
  for (const auto& e : thrown)
    if (e) std::rethrow_exception(e);
  return !failed.load();
}

}  // namespace

bool load_stream_sequential(LoadContext& ctx, std::string_view bytes, yaml::ParseError& error) {
  // Each document is mapped onto the model as soon as it is parsed; the tree's memory is reused for the next.
  return yaml::parse_stream(bytes, [&ctx](yaml::Document& d) { load_document(ctx, d); }, error);
}

bool load_stream(LoadContext& ctx, std::string_view bytes, yaml::ParseError& error, const StreamPlan& plan) {
  unsigned threads = plan.threads ? plan.threads : std::min(std::thread::hardware_concurrency(), kMaxThreads);
  if (bytes.size() < plan.min_bytes || threads < 2) return load_stream_sequential(ctx, bytes, error);
  const auto pieces = yaml::split_stream(bytes, plan.pieces ? plan.pieces : threads * kPiecesPerThread);
  if (pieces.empty()) return load_stream_sequential(ctx, bytes, error);
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, pieces.size()));
  std::vector<PieceResult> results;
  if (!parse_pieces(ctx, bytes, pieces, threads, results)) {
    // A piece's error may not be the stream's (a quoted scalar open across a cut; libyaml's reader decoding
    // ahead), nor its documents those kept before the stream's first error: parse the stream as one piece.
    results.clear();
    return load_stream_sequential(ctx, bytes, error);
  }
  merge(ctx, results);
  return true;
}

}  // namespace nfegress::policy::detail
