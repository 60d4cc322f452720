// enforcer/reload_background.cpp — layer: operations. See reload_background.hpp.
#include "enforcer/reload_background.hpp"

#include <boost/asio/post.hpp>
#include <memory>

namespace nfegress::enforcer {

BackgroundReloader::BackgroundReloader(boost::asio::io_context& io, Reloader& reloader)
    : io_(io), reloader_(reloader) {}

BackgroundReloader::~BackgroundReloader() { stop(); }

void BackgroundReloader::stop() {
  *stopped_ = true;
  worker_.join();
}

void BackgroundReloader::reload(const std::string& why) {
  Reloader* r = &reloader_;
  submit([r] { return r->load_and_prepare(); }, why);
}

void BackgroundReloader::apply(policy::LoadResult input, const std::string& why) {
  apply(std::make_shared<const policy::LoadResult>(std::move(input)), why);
}

void BackgroundReloader::apply(std::shared_ptr<const policy::LoadResult> input, const std::string& why) {
  Reloader* r = &reloader_;
  submit([r, in = std::move(input)] { return prepare_policy(r->config(), *in); }, why);
}

void BackgroundReloader::submit(std::function<PreparedPolicy()> prepare, const std::string& why) {
  if (*stopped_) return;
  const std::uint64_t ticket = ++requested_;
  boost::asio::post(worker_, [this, stopped = stopped_, ticket, prepare = std::move(prepare), why] {
    // Superseded before it started, or shutting down: the newer request reads the newer input.
    if (*stopped || ticket != requested_.load()) return;
    auto prepared = std::make_shared<PreparedPolicy>(prepare());
    boost::asio::post(io_, [this, stopped, prepared, why] {
      if (*stopped) return;
      const ReloadOutcome out = reloader_.commit(std::move(*prepared), why);
      if (committed_) committed_(out);
    });
  });
}

}  // namespace nfegress::enforcer
