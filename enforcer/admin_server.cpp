// enforcer/admin_server.cpp — layer: operations (thin I/O). Boost.Beast sessions for the admin endpoints; the
// answers come from route_admin_request() (admin_router.cpp). Every read and write has a deadline, every request
// a size bound, and the number of open connections a cap, so a slow or hostile client cannot hold the enforcer.
#include "enforcer/admin_server.hpp"

#include <atomic>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace nfegress::enforcer {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

struct Shared {
  AdminHandlers handlers;
  AdminLimits limits;
  std::atomic<std::size_t> open{0};
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket s, std::shared_ptr<Shared> shared)
      : stream_(std::move(s)), shared_(std::move(shared)), buffer_(shared_->limits.max_request_bytes) {
    ++shared_->open;
  }
  ~Session() { --shared_->open; }

  void start() { read(); }

 private:
  void read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_->limits.max_request_bytes));
    parser_->body_limit(shared_->limits.max_request_bytes);
    stream_.expires_after(shared_->limits.timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset)
      return close();
    if (ec) {  // malformed or too large: answer once, then close
      const bool too_large = ec == http::error::header_limit || ec == http::error::body_limit ||
                             ec == http::error::buffer_overflow;
      AdminResponse r;
      r.status = too_large ? 431 : 400;
      r.body = too_large ? "request too large\n" : "bad request\n";
      return write(r, false, false);
    }
    const auto& req = parser_->get();
    const bool head = req.method() == http::verb::head;
    const auto method = req.method_string();
    const auto target = req.target();
    write(route_admin_request(std::string_view(method.data(), method.size()),
                              std::string_view(target.data(), target.size()), shared_->handlers),
          req.keep_alive(), head);
  }

  void write(const AdminResponse& r, bool keep_alive, bool head) {
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), 11);
    res->set(http::field::server, "nfegress");
    res->set(http::field::content_type, r.content_type);
    if (!r.allow.empty()) res->set(http::field::allow, r.allow);
    res->keep_alive(keep_alive);
    if (head) {
      res->content_length(r.body.size());  // the length a GET would have, no body
    } else {
      res->body() = r.body;
      res->prepare_payload();
    }
    stream_.expires_after(shared_->limits.timeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
      if (ec || !res->keep_alive()) return self->close();
      self->read();
    });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  std::shared_ptr<Shared> shared_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

}  // namespace

struct AdminServer::Impl : std::enable_shared_from_this<AdminServer::Impl> {
  Impl(asio::io_context& ioc, std::shared_ptr<Shared> s) : ioc(ioc), acceptor(asio::make_strand(ioc)), shared(s) {}

  void accept() {
    acceptor.async_accept(asio::make_strand(ioc), [self = shared_from_this()](beast::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) return;
      if (!ec) {
        if (self->shared->open.load() >= self->shared->limits.max_connections) {
          beast::error_code ignored;
          s.close(ignored);  // over the cap: refuse by closing
        } else {
          std::make_shared<Session>(std::move(s), self->shared)->start();
        }
      }
      self->accept();
    });
  }

  asio::io_context& ioc;
  tcp::acceptor acceptor;
  std::shared_ptr<Shared> shared;
};

AdminServer::AdminServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
AdminServer::~AdminServer() { stop(); }

std::unique_ptr<AdminServer> AdminServer::start(asio::io_context& ioc, const tcp::endpoint& at,
                                                AdminHandlers handlers, AdminLimits limits, std::string& error) {
  auto shared = std::make_shared<Shared>();
  shared->handlers = std::move(handlers);
  shared->limits = limits;
  auto impl = std::make_shared<Impl>(ioc, shared);
  beast::error_code ec;
  const auto fail = [&](const char* what) {
    error = std::string(what) + " " + at.address().to_string() + ":" + std::to_string(at.port()) + ": " +
            ec.message();
    return nullptr;
  };
  impl->acceptor.open(at.protocol(), ec);
  if (ec) return fail("open");
  impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("setsockopt");
  impl->acceptor.bind(at, ec);
  if (ec) return fail("bind");
  impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  impl->accept();
  return std::unique_ptr<AdminServer>(new AdminServer(std::move(impl)));
}

tcp::endpoint AdminServer::local_endpoint() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec);
}

void AdminServer::stop() {
  if (!impl_) return;
  // The acceptor lives on its strand; close it there so a pending accept completes with operation_aborted.
  asio::post(impl_->acceptor.get_executor(), [impl = impl_] {
    beast::error_code ec;
    impl->acceptor.close(ec);
  });
}

}  // namespace nfegress::enforcer
