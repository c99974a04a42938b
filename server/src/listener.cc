#include "listener.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>

#include "http_session.h"

namespace gemma::server {

namespace net = boost::asio;
using tcp = net::ip::tcp;

Listener::Listener(net::io_context& ioc, AppState& app)
    : ioc_(ioc),
      app_(app),
      strand_(net::make_strand(ioc)),
      acceptor_(strand_),
      retry_timer_(strand_) {}

StatusOr<std::shared_ptr<Listener>> Listener::Create(net::io_context& ioc, AppState& app,
                                                     const std::string& host, int port) {
  std::shared_ptr<Listener> l(new Listener(ioc, app));
  boost::system::error_code ec;
  tcp::resolver resolver(ioc);
  auto results = resolver.resolve(host, std::to_string(port),
                                  tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    return InvalidArgument("cannot resolve host '" + host + "': " + ec.message());
  }
  const tcp::endpoint ep = results.begin()->endpoint();
  l->acceptor_.open(ep.protocol(), ec);
  if (!ec) l->acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) l->acceptor_.bind(ep, ec);
  if (!ec) l->acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return IoError("cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  }
  l->port_ = l->acceptor_.local_endpoint(ec).port();
  return l;
}

void Listener::Start() {
  net::dispatch(strand_, [self = shared_from_this()] { self->DoAccept(); });
}

void Listener::Stop() {
  net::post(strand_, [self = shared_from_this()] {
    boost::system::error_code ec;
    self->retry_timer_.cancel();
    self->acceptor_.close(ec);
  });
}

void Listener::DoAccept() {
  if (!acceptor_.is_open()) return;
  acceptor_.async_accept(net::make_strand(ioc_),
                         [self = shared_from_this()](boost::system::error_code ec, tcp::socket s) {
                           self->OnAccept(ec, std::move(s));
                         });
}

void Listener::OnAccept(boost::system::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // Out of file descriptors or similar: wait a moment instead of spinning.
    std::fprintf(stderr, "gemma-server: accept failed: %s\n", ec.message().c_str());
    retry_timer_.expires_after(std::chrono::milliseconds(100));
    retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code e) {
      if (!e) self->DoAccept();
    });
    return;
  }
  if (auto slot = app_.connections().TryOpen(app_.config().max_connections)) {
    std::make_shared<HttpSession>(std::move(socket), app_, std::move(*slot))->Start();
  } else {
    Reject(std::move(socket));
  }
  DoAccept();
}

void Listener::Reject(tcp::socket socket) {
  static const std::string kBody =
      R"({"error":{"message":"Too many open connections","type":"server_error","param":null,"code":"too_many_connections"}})";
  static const std::string kReply =
      "HTTP/1.1 503 Service Unavailable\r\nServer: gemma-server\r\nContent-Type: "
      "application/json\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: " +
      std::to_string(kBody.size()) + "\r\n\r\n" + kBody;
  app_.metrics().CountRequest("other", 503);
  auto s = std::make_shared<tcp::socket>(std::move(socket));
  s->non_blocking(true);
  net::async_write(*s, net::buffer(kReply), [s](boost::system::error_code, size_t) {
    boost::system::error_code ignored;
    s->shutdown(tcp::socket::shutdown_both, ignored);
    s->close(ignored);
  });
}

}  // namespace gemma::server
