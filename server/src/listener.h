// Accepts TCP connections and starts an HttpSession for each, on its own
// strand. Beyond max_connections a connection gets a short 503 and is closed.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/system/error_code.hpp>
#include <memory>
#include <string>

#include "app_state.h"

namespace gemma::server {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // Binds and listens (port 0 = any free port).
  static StatusOr<std::shared_ptr<Listener>> Create(boost::asio::io_context& ioc, AppState& app,
                                                    const std::string& host, int port);
  void Start();
  void Stop();  // thread-safe: stops accepting
  uint16_t port() const { return port_; }

 private:
  Listener(boost::asio::io_context& ioc, AppState& app);
  void DoAccept();
  void OnAccept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
  void Reject(boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  AppState& app_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  uint16_t port_ = 0;
};

}  // namespace gemma::server
