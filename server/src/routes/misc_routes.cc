#include "routes/misc_routes.h"

#include <nlohmann/json.hpp>

#include "routes/openai_request.h"

namespace gemma::server {

using ojson = nlohmann::ordered_json;

HttpReply HealthReply(const AppState& app) {
  ojson j;
  int status = 503;
  if (app.draining()) {
    j["status"] = "draining";
  } else if (app.phase() == Phase::kLoading) {
    j["status"] = "loading";
  } else if (app.phase() == Phase::kFailed) {
    j["status"] = "error";
  } else {
    status = 200;
    j["status"] = "ok";
    j["model"] = app.model_id();
  }
  return JsonReply(status, j);
}

HttpReply MetricsReply(AppState& app) {
  HttpReply r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = app.metrics().Render(app.Gauges());
  return r;
}

namespace {

ojson ModelObject(const AppState& app) {
  ojson m;
  m["id"] = app.model_id();
  m["object"] = "model";
  m["created"] = app.created();
  m["owned_by"] = "gemma-core";
  return m;
}

}  // namespace

HttpReply ModelsReply(const AppState& app) {
  ojson j;
  j["object"] = "list";
  j["data"] = ojson::array({ModelObject(app)});
  return JsonReply(200, j);
}

HttpReply ModelReply(const AppState& app, const std::string& id) {
  if (!app.MatchesModel(id) || id.empty()) {
    return NotFound("The model '" + id + "' does not exist", "model_not_found").ToReply();
  }
  return JsonReply(200, ModelObject(app));
}

HttpReply TokenizeReply(const AppState& app, const std::string& body) {
  auto parsed = ParseJsonBody(body);
  if (auto* e = std::get_if<ApiError>(&parsed)) return e->ToReply();
  const nlohmann::json& j = std::get<0>(parsed);
  for (auto& [k, v] : j.items()) {
    if (k != "content" && k != "add_special" && k != "parse_special" && k != "with_pieces" &&
        k != "model") {
      return BadRequest("Unrecognized request argument supplied: " + k, k, "unknown_field")
          .ToReply();
    }
  }
  auto content = j.find("content");
  if (content == j.end() || !content->is_string()) {
    return BadRequest("'content' must be a string", "content").ToReply();
  }
  bool flags[3] = {true, true, false};
  const char* names[3] = {"add_special", "parse_special", "with_pieces"};
  for (int i = 0; i < 3; ++i) {
    auto it = j.find(names[i]);
    if (it == j.end() || it->is_null()) continue;
    if (!it->is_boolean()) {
      return BadRequest(std::string("'") + names[i] + "' must be a boolean", names[i]).ToReply();
    }
    flags[i] = it->get<bool>();
  }
  if (auto m = j.find("model"); m != j.end() && !(m->is_string() && app.MatchesModel(*m))) {
    return NotFound("The model does not exist", "model_not_found").ToReply();
  }
  const Tokenizer& tok = app.model().tokenizer();
  const auto ids =
      tok.Encode(content->get<std::string>(), {.add_bos = flags[0], .parse_special = flags[1]});
  ojson tokens = ojson::array();
  for (int32_t id : ids) {
    if (flags[2]) {
      const int32_t one[1] = {id};
      tokens.push_back({{"id", id}, {"piece", tok.Decode(one)}});
    } else {
      tokens.push_back(id);
    }
  }
  ojson out;
  out["tokens"] = std::move(tokens);
  return JsonReply(200, out);
}

HttpReply DetokenizeReply(const AppState& app, const std::string& body) {
  auto parsed = ParseJsonBody(body);
  if (auto* e = std::get_if<ApiError>(&parsed)) return e->ToReply();
  const nlohmann::json& j = std::get<0>(parsed);
  for (auto& [k, v] : j.items()) {
    if (k != "tokens" && k != "model") {
      return BadRequest("Unrecognized request argument supplied: " + k, k, "unknown_field")
          .ToReply();
    }
  }
  auto tokens = j.find("tokens");
  if (tokens == j.end() || !tokens->is_array()) {
    return BadRequest("'tokens' must be an array of token ids", "tokens").ToReply();
  }
  const Tokenizer& tok = app.model().tokenizer();
  std::vector<int32_t> ids;
  for (const auto& t : *tokens) {
    if (!t.is_number_integer() || t.get<int64_t>() < 0 ||
        t.get<int64_t>() >= static_cast<int64_t>(tok.vocab_size())) {
      return BadRequest("'tokens' must hold ids in [0, " + std::to_string(tok.vocab_size()) + ")",
                        "tokens")
          .ToReply();
    }
    ids.push_back(static_cast<int32_t>(t.get<int64_t>()));
  }
  ojson out;
  out["content"] = tok.Decode(ids);
  return JsonReply(200, out);
}

}  // namespace gemma::server
