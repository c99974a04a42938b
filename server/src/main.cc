// gemma-server: an OpenAI-compatible HTTP / SSE / WebSocket server.
//   gemma-server [--model PATH] [--host 127.0.0.1] [--port 8080] [--config server_config.toml]
// Command-line flags override the config file. SIGTERM/SIGINT: stop
// accepting, let in-flight requests finish within the drain timeout, exit 0.
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>
#include <vector>

#include "app_state.h"
#include "auth.h"
#include "config.h"
#include "listener.h"

namespace gemma::server {
namespace {

namespace net = boost::asio;

struct Overrides {
  std::string config_path, model, host, kv_cache_type, api_keys_file, model_format;
  int port = 0, timeout = 0, rate_limit = 0;
  size_t max_connections = 0, io_threads = 0, max_batch_size = 0, max_sequence_length = 0;
  size_t threads = 0, max_body_bytes = 0, max_queue = 0, default_max_tokens = 0;
  double drain_timeout = 0;
  std::vector<std::string> api_keys, cors_origins;
  bool log_requests = false;
};

void RaiseFileLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

int Run(int argc, char** argv) {
  CLI::App cli{"gemma-server: OpenAI-compatible HTTP/WebSocket server for Gemma GGUF models"};
  Overrides o;
  auto* config_opt = cli.add_option("-c,--config", o.config_path, "TOML config file");
  auto* model = cli.add_option("-m,--model", o.model, "GGUF model (default: the demo model)");
  auto* host = cli.add_option("--host", o.host, "address to listen on (default 127.0.0.1)");
  auto* port = cli.add_option("--port", o.port, "port (default 8080; 0 = any free port)")
                   ->check(CLI::Range(0, 65535));
  auto* timeout = cli.add_option("--timeout", o.timeout, "request/idle timeout, seconds")
                      ->check(CLI::Range(1, 86400));
  auto* max_conn = cli.add_option("--max-connections", o.max_connections, "open connections")
                       ->check(CLI::Range(1, 1000000));
  auto* io_threads =
      cli.add_option("--io-threads", o.io_threads, "I/O threads")->check(CLI::Range(1, 256));
  auto* batch = cli.add_option("--max-batch-size", o.max_batch_size, "concurrent sequences")
                    ->check(CLI::Range(1, 1024));
  auto* seq_len = cli.add_option("--max-sequence-length", o.max_sequence_length,
                                 "tokens per sequence (0 = min(model, 4096))");
  auto* queue = cli.add_option("--max-queue", o.max_queue, "waiting requests beyond the batch");
  auto* threads = cli.add_option("-t,--threads", o.threads, "engine threads (0 = all cores)");
  auto* kv = cli.add_option("--kv", o.kv_cache_type, "KV cache type: f32 or f16");
  auto* max_tokens = cli.add_option("--default-max-tokens", o.default_max_tokens,
                                    "max_tokens when a request gives none")
                         ->check(CLI::Range(1, 1 << 30));
  auto* body = cli.add_option("--max-body-bytes", o.max_body_bytes, "request body limit")
                   ->check(CLI::Range(1, 1 << 30));
  auto* drain = cli.add_option("--drain-timeout", o.drain_timeout, "shutdown drain, seconds")
                    ->check(CLI::Range(0.0, 86400.0));
  auto* keys = cli.add_option("--api-key", o.api_keys, "accepted API key (repeatable)");
  auto* keys_file = cli.add_option("--api-keys-file", o.api_keys_file, "file of API keys");
  auto* rate = cli.add_option("--rate-limit", o.rate_limit,
                              "enable rate limiting: requests per minute per client")
                   ->check(CLI::Range(1, 100000000));
  auto* cors = cli.add_option("--cors-origin", o.cors_origins, "allowed CORS origin (repeatable)");
  auto* log_req = cli.add_flag("--log-requests", o.log_requests, "log every request");
  auto* format = cli.add_option("--model-format", o.model_format,
                                "auto (default), gguf, gcore, safetensors or onnx");
  bool mmap = false;
  auto* mmap_flag = cli.add_flag(
      "--mmap", mmap, "map the weights in place instead of reading them into huge pages");
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e) == 0 ? 0 : 2;  // --help: 0; bad flags: 2, like bad config
  }

  ServerConfig config;
  if (config_opt->count()) {
    auto loaded = LoadConfigFile(o.config_path);
    if (!loaded.ok()) {
      std::fprintf(stderr, "gemma-server: %s\n", loaded.status().message().c_str());
      return 2;
    }
    config = std::move(*loaded);
  }
  if (model->count()) config.model_path = o.model;
  if (host->count()) config.host = o.host;
  if (port->count()) config.port = o.port;
  if (timeout->count()) config.timeout_seconds = o.timeout;
  if (max_conn->count()) config.max_connections = o.max_connections;
  if (io_threads->count()) config.io_threads = o.io_threads;
  if (batch->count()) config.max_batch_size = o.max_batch_size;
  if (seq_len->count()) config.max_sequence_length = o.max_sequence_length;
  if (queue->count()) config.max_queue = o.max_queue;
  if (threads->count()) config.threads = o.threads;
  if (kv->count()) config.kv_cache_type = o.kv_cache_type;
  if (max_tokens->count()) config.default_max_tokens = o.default_max_tokens;
  if (body->count()) config.max_body_bytes = o.max_body_bytes;
  if (drain->count()) config.drain_timeout_seconds = o.drain_timeout;
  if (keys->count())
    config.api_keys.insert(config.api_keys.end(), o.api_keys.begin(), o.api_keys.end());
  if (keys_file->count()) config.api_keys_file = o.api_keys_file;
  if (rate->count()) {
    config.rate_limit_enabled = true;
    config.max_requests_per_minute = o.rate_limit;
    config.rate_limit_burst = 0;
  }
  if (cors->count()) config.cors_origins = o.cors_origins;
  if (log_req->count()) config.log_requests = true;
  if (format->count()) config.model_format = o.model_format;
  if (mmap_flag->count()) config.model_mmap = true;
  if (Status s = FinalizeConfig(&config); !s.ok()) {
    std::fprintf(stderr, "gemma-server: %s\n", s.message().c_str());
    return 2;
  }
  auto auth = Authenticator::Create(config);
  if (!auth.ok()) {
    std::fprintf(stderr, "gemma-server: %s\n", auth.status().message().c_str());
    return 2;
  }
  RaiseFileLimit();

  AppState app(config, std::move(*auth));
  net::io_context ioc(static_cast<int>(config.io_threads));
  auto listener = Listener::Create(ioc, app, config.host, config.port);
  if (!listener.ok()) {
    std::fprintf(stderr, "gemma-server: %s\n", listener.status().message().c_str());
    return 1;
  }
  std::shared_ptr<Listener> l = *listener;

  std::atomic<int> exit_code{0};
  std::atomic<bool> shutting_down{false};
  std::thread drainer;
  auto begin_shutdown = [&](int code, const char* why) {
    if (shutting_down.exchange(true)) return;
    exit_code = code;
    std::fprintf(stderr, "gemma-server: %s; draining (up to %.0f s)\n", why,
                 config.drain_timeout_seconds);
    l->Stop();
    app.set_draining();
    app.connections().ShutdownAll();  // idle connections close now, busy ones after answering
    drainer = std::thread([&] {
      app.DrainScheduler(config.drain_timeout_seconds);
      app.connections().ShutdownAll();
      // Let the last answers reach their clients (bounded).
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (app.connections().count() > 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      ioc.stop();
    });
  };

  net::signal_set signals(ioc, SIGINT, SIGTERM);
  std::function<void(boost::system::error_code, int)> on_signal = [&](boost::system::error_code ec,
                                                                      int sig) {
    if (ec) return;
    if (shutting_down) {
      std::fprintf(stderr, "gemma-server: second signal; exiting now\n");
      std::fflush(stderr);
      _exit(1);
    }
    begin_shutdown(0, sig == SIGTERM ? "SIGTERM" : "SIGINT");
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);

  const std::string url = "http://" + config.host + ":" + std::to_string(l->port());
  if (app.is_demo_model()) {
    std::fprintf(stderr,
                 "gemma-server: WARNING: no model configured; serving the bundled DEMO model %s. "
                 "It has RANDOM weights and a synthetic vocabulary, so its output is gibberish. "
                 "Pass --model /path/to/gemma.gguf for real text.\n",
                 app.model_path().c_str());
  }
  std::fprintf(stderr, "gemma-server: loading %s\n", app.model_path().c_str());
  app.StartLoading([&](const Status& s) {
    if (s.ok()) {
      const ModelInfo& info = app.model().info();
      std::string weights = info.weights_residency;
      if (info.interleaved_matrices) {
        weights += ", " + std::to_string(info.interleaved_matrices) + " matrices interleaved";
      }
      std::fprintf(stderr,
                   "gemma-server: model ready: %s (context %zu per sequence, batch %zu; weights "
                   "%s)%s\n",
                   app.model_id().c_str(), app.max_sequence_length(), config.max_batch_size,
                   weights.c_str(), app.is_demo_model() ? " [demo model: RANDOM weights]" : "");
    } else {
      std::fprintf(stderr, "gemma-server: cannot load the model: %s\n", s.ToString().c_str());
      net::post(ioc, [&] { begin_shutdown(1, "model failed to load"); });
    }
  });
  l->Start();
  std::printf("gemma-server: listening on %s (health: %s/health, OpenAI API: %s/v1)\n", url.c_str(),
              url.c_str(), url.c_str());
  std::fflush(stdout);

  std::vector<std::thread> io;
  for (size_t i = 1; i < config.io_threads; ++i) io.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : io) t.join();
  if (drainer.joinable()) drainer.join();
  if (!app.JoinLoaderIfDone()) {
    // Still loading a large model: nothing to drain; don't wait for it.
    std::fprintf(stderr, "gemma-server: exiting while the model was still loading\n");
    std::fflush(stderr);
    _exit(exit_code);
  }
  app.DestroyScheduler();
  std::fprintf(stderr, "gemma-server: stopped\n");
  return exit_code;
}

}  // namespace
}  // namespace gemma::server

int main(int argc, char** argv) { return gemma::server::Run(argc, argv); }
