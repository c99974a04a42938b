// VocabFromTokenizerJson: Hugging Face tokenizer.json (BPE model) -> VocabSpec.
//
// One pass of a hand-written pull reader (json_reader.h) over the file's
// memory map: no DOM, piece strings without escapes are copied once, merges
// are kept as views into the map until the vocabulary is known (the file may
// list "added_tokens" and "merges" before "vocab"), then resolved to ids.
// Every pipeline component is checked: what would make our encoder differ
// from Hugging Face's is refused as kUnsupported instead of loaded wrongly.
#include <algorithm>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gemma/tokenizer.h"
#include "io/mapped_file.h"
#include "tokenizer/json_reader.h"
#include "tokenizer/piece_index.h"
#include "tokenizer/utf8.h"

namespace gemma {
namespace {

using tok::JsonReader;
using Kind = JsonReader::Kind;

// A normalizer / pre-tokenizer / decoder / post-processor object: the members
// any of the supported ones use; everything else is skipped.
struct Component {
  std::string type;
  std::string pattern;  // pattern.String
  bool pattern_is_regex = false;
  std::string content, prepend, replacement, prepend_scheme, behavior;
  bool invert = false;
  bool split = false;
  bool has_add_prefix_space = false, add_prefix_space = false;
  std::string first_special_token;  // TemplateProcessing: single[0].SpecialToken.id
  std::vector<Component> children;  // normalizers / pretokenizers / decoders
};

struct Added {
  std::string content;
  int64_t id = -1;
  bool special = false;
  bool lstrip = false, rstrip = false, single_word = false;
};

struct ModelInfo {
  std::string type;
  bool has_vocab = false, has_merges = false;
  std::vector<std::pair<std::string_view, int64_t>> vocab;
  std::vector<std::pair<std::string_view, std::string_view>> merges;
  std::vector<size_t> merge_index;  // position in the file's list (for errors)
  std::string unk_token;
  bool has_unk = false;
  bool byte_fallback = false, fuse_unk = false, ignore_merges = false;
  std::string prefix, suffix;  // continuing_subword_prefix, end_of_word_suffix
  double dropout = 0;
};

class Parser {
 public:
  Parser(std::string_view text, const std::string& name) : r_(text), name_(name) {}

  Status Run(VocabSpec* spec);

 private:
  Status Error(std::string_view where) {
    return CorruptData(name_ + ": " + std::string(where) + ": " + r_.error());
  }
  // Stable storage for decoded (escaped) strings.
  std::string_view Keep(std::string_view v, const std::string& scratch) {
    if (v.data() != scratch.data()) return v;  // a view into the file
    owned_.push_back(scratch);
    return owned_.back();
  }
  bool ReadComponent(Component* c, int depth);
  bool ReadComponentOrNull(Component* c, bool* present);
  bool ReadModel();
  bool ReadAddedTokens();
  Status Build(VocabSpec* spec);
  Status CheckPipeline(bool* prepend);

  JsonReader r_;
  const std::string& name_;
  std::deque<std::string> owned_;
  ModelInfo model_;
  std::vector<Added> added_;
  bool has_model_ = false;
  Component normalizer_, pre_tokenizer_, decoder_, post_processor_;
  bool has_normalizer_ = false, has_pre_tokenizer_ = false, has_decoder_ = false,
       has_post_processor_ = false;
};

bool Parser::ReadComponentOrNull(Component* c, bool* present) {
  if (r_.Peek() == Kind::kNull) {
    *present = false;
    return r_.Skip();
  }
  *present = true;
  return ReadComponent(c, 0);
}

bool Parser::ReadComponent(Component* c, int depth) {
  if (depth > 16) return r_.Fail("components nested too deeply");
  if (!r_.BeginObject()) return false;
  std::string_view key;
  std::string scratch;
  while (r_.NextMember(&key, &scratch)) {
    const std::string k(key);
    if (k == "type") {
      if (!r_.String(&c->type)) return false;
    } else if (k == "pattern") {
      if (!r_.BeginObject()) return false;
      std::string_view pk;
      std::string ps;
      while (r_.NextMember(&pk, &ps)) {
        c->pattern_is_regex = pk != "String";
        if (!r_.String(&c->pattern)) return false;
      }
    } else if (k == "content") {
      // Strip's "content" is a character; Replace's a string.
      if (!r_.String(&c->content)) return false;
    } else if (k == "prepend") {
      if (!r_.String(&c->prepend)) return false;
    } else if (k == "replacement") {
      if (!r_.String(&c->replacement)) return false;
    } else if (k == "prepend_scheme") {
      if (!r_.String(&c->prepend_scheme)) return false;
    } else if (k == "behavior") {
      if (!r_.String(&c->behavior)) return false;
    } else if (k == "invert") {
      if (!r_.Bool(&c->invert)) return false;
    } else if (k == "split") {
      if (!r_.Bool(&c->split)) return false;
    } else if (k == "add_prefix_space") {
      c->has_add_prefix_space = true;
      if (!r_.Bool(&c->add_prefix_space)) return false;
    } else if (k == "normalizers" || k == "pretokenizers" || k == "decoders" || k == "processors") {
      if (!r_.BeginArray()) return false;
      while (r_.NextElement()) {
        c->children.emplace_back();
        if (!ReadComponent(&c->children.back(), depth + 1)) return false;
      }
      if (r_.failed()) return false;
    } else if (k == "single") {
      // TemplateProcessing: [{"SpecialToken": {"id": "<bos>", ...}}, {"Sequence": ...}]
      if (!r_.BeginArray()) return false;
      bool first = true;
      while (r_.NextElement()) {
        if (!first || r_.Peek() != Kind::kObject) {
          if (!r_.Skip()) return false;
          first = false;
          continue;
        }
        first = false;
        if (!r_.BeginObject()) return false;
        std::string_view ek;
        std::string es;
        while (r_.NextMember(&ek, &es)) {
          if (ek != "SpecialToken" || r_.Peek() != Kind::kObject) {
            if (!r_.Skip()) return false;
            continue;
          }
          if (!r_.BeginObject()) return false;
          std::string_view sk;
          std::string ss;
          while (r_.NextMember(&sk, &ss)) {
            if (sk == "id") {
              if (!r_.String(&c->first_special_token)) return false;
            } else if (!r_.Skip()) {
              return false;
            }
          }
          if (r_.failed()) return false;
        }
        if (r_.failed()) return false;
      }
      if (r_.failed()) return false;
    } else if (!r_.Skip()) {
      return false;
    }
  }
  return !r_.failed();
}

bool Parser::ReadAddedTokens() {
  if (!r_.BeginArray()) return false;
  std::string_view key;
  std::string scratch;
  while (r_.NextElement()) {
    Added a;
    bool has_id = false, has_content = false;
    if (!r_.BeginObject()) return false;
    while (r_.NextMember(&key, &scratch)) {
      if (key == "id") {
        has_id = true;
        if (!r_.Int(&a.id)) return false;
      } else if (key == "content") {
        has_content = true;
        if (!r_.String(&a.content)) return false;
      } else if (key == "special") {
        if (!r_.Bool(&a.special)) return false;
      } else if (key == "lstrip") {
        if (!r_.Bool(&a.lstrip)) return false;
      } else if (key == "rstrip") {
        if (!r_.Bool(&a.rstrip)) return false;
      } else if (key == "single_word") {
        if (!r_.Bool(&a.single_word)) return false;
      } else if (!r_.Skip()) {  // "normalized": matched on the raw text either way
        return false;
      }
    }
    if (r_.failed()) return false;
    if (!has_id || !has_content) return r_.Fail("added token without \"id\" or \"content\"");
    added_.push_back(std::move(a));
  }
  return !r_.failed();
}

bool Parser::ReadModel() {
  if (!r_.BeginObject()) return false;
  std::string_view key;
  std::string scratch, s1, s2;
  bool is_null = false;
  while (r_.NextMember(&key, &scratch)) {
    if (key == "type") {
      if (!r_.String(&model_.type)) return false;
    } else if (key == "vocab") {
      if (r_.Peek() == Kind::kArray) {
        return r_.Fail("\"vocab\" is a list of [piece, score] pairs (a Unigram model)");
      }
      model_.has_vocab = true;
      if (!r_.BeginObject()) return false;
      std::string_view piece;
      std::string ps;
      while (r_.NextMember(&piece, &ps)) {
        const std::string_view kept = Keep(piece, ps);
        int64_t id = 0;
        if (!r_.Int(&id)) return false;
        model_.vocab.emplace_back(kept, id);
      }
      if (r_.failed()) return false;
    } else if (key == "merges") {
      model_.has_merges = true;
      if (!r_.BeginArray()) return false;
      size_t index = 0;
      while (r_.NextElement()) {
        std::string_view a, b;
        if (r_.Peek() == Kind::kString) {
          std::string_view line;
          if (!r_.String(&line, &s1)) return false;
          line = Keep(line, s1);
          if (line.starts_with("#version")) {  // as HF: skipped, not ranked
            ++index;
            continue;
          }
          const size_t sp = line.find(' ');
          if (sp == std::string_view::npos || line.find(' ', sp + 1) != std::string_view::npos) {
            return r_.Fail("merge " + std::to_string(index) + " \"" + std::string(line) +
                           "\" is not two pieces separated by one space");
          }
          a = line.substr(0, sp);
          b = line.substr(sp + 1);
        } else {
          if (!r_.BeginArray()) return false;
          int parts = 0;
          while (r_.NextElement()) {
            std::string_view v;
            std::string& sc = parts == 0 ? s1 : s2;
            if (!r_.String(&v, &sc)) return false;
            if (parts == 0) a = Keep(v, sc);
            if (parts == 1) b = Keep(v, sc);
            ++parts;
          }
          if (r_.failed()) return false;
          if (parts != 2) {
            return r_.Fail("merge " + std::to_string(index) + " has " + std::to_string(parts) +
                           " parts instead of 2");
          }
        }
        model_.merges.emplace_back(a, b);
        model_.merge_index.push_back(index);
        ++index;
      }
      if (r_.failed()) return false;
    } else if (key == "unk_token") {
      if (!r_.StringOrNull(&model_.unk_token, &is_null)) return false;
      model_.has_unk = !is_null;
    } else if (key == "continuing_subword_prefix") {
      if (!r_.StringOrNull(&model_.prefix, &is_null)) return false;
    } else if (key == "end_of_word_suffix") {
      if (!r_.StringOrNull(&model_.suffix, &is_null)) return false;
    } else if (key == "byte_fallback") {
      if (!r_.Bool(&model_.byte_fallback)) return false;
    } else if (key == "fuse_unk") {
      if (!r_.Bool(&model_.fuse_unk)) return false;
    } else if (key == "ignore_merges") {
      if (!r_.Bool(&model_.ignore_merges)) return false;
    } else if (key == "dropout") {
      if (r_.Peek() == Kind::kNull) {
        if (!r_.Skip()) return false;
      } else if (r_.Peek() == Kind::kNumber) {
        if (!r_.Number(&model_.dropout)) return false;  // only 0 is accepted below
      } else {
        return r_.Fail("\"dropout\" must be null or a number");
      }
    } else if (!r_.Skip()) {
      return false;
    }
  }
  return !r_.failed();
}

bool IsSpaceToMetaspace(const Component& c) {
  return c.type == "Replace" && !c.pattern_is_regex && c.pattern == " " &&
         c.content == tok::kMetaspace;
}

void Flatten(const Component& c, std::vector<const Component*>* out) {
  if (c.type == "Sequence") {
    for (const Component& child : c.children) Flatten(child, out);
  } else {
    out->push_back(&c);
  }
}

Status Parser::CheckPipeline(bool* prepend) {
  auto unsupported = [&](const std::string& what) {
    return Unsupported(name_ + ": " + what +
                       " (supported: Gemma-style BPE: normalizer Replace(\" \" -> \"\xE2\x96\x81\")"
                       " [+ Prepend(\"\xE2\x96\x81\")], no pre-tokenizer or Split on \" \")");
  };
  bool replaces_space = false;
  *prepend = false;
  std::vector<const Component*> parts;
  if (has_normalizer_) Flatten(normalizer_, &parts);
  for (const Component* c : parts) {
    if (IsSpaceToMetaspace(*c)) {
      replaces_space = true;
    } else if (c->type == "Prepend" && c->prepend == tok::kMetaspace && !replaces_space) {
      *prepend = true;
    } else {
      return unsupported("normalizer \"" + c->type + "\" is not supported");
    }
  }
  parts.clear();
  if (has_pre_tokenizer_) Flatten(pre_tokenizer_, &parts);
  for (const Component* c : parts) {
    if (c->type == "Split" && !c->pattern_is_regex && c->pattern == " " && !c->invert &&
        replaces_space) {
      continue;  // no spaces are left after the normalizer: a no-op
    }
    if (c->type == "Metaspace" && c->replacement == tok::kMetaspace && !c->split &&
        (c->prepend_scheme == "never" ||
         (c->prepend_scheme.empty() && c->has_add_prefix_space && !c->add_prefix_space))) {
      replaces_space = true;
      continue;
    }
    return unsupported("pre-tokenizer \"" + c->type + "\" with these settings is not supported");
  }
  if (!replaces_space) return unsupported("spaces are not replaced by U+2581");
  parts.clear();
  if (has_decoder_) Flatten(decoder_, &parts);
  for (const Component* c : parts) {
    const bool ok =
        (c->type == "Replace" && !c->pattern_is_regex && c->pattern == tok::kMetaspace &&
         c->content == " ") ||
        c->type == "ByteFallback" || c->type == "Fuse" ||
        (c->type == "Metaspace" && c->replacement == tok::kMetaspace &&
         (c->prepend_scheme == "never" || (c->has_add_prefix_space && !c->add_prefix_space)));
    if (!ok) return unsupported("decoder \"" + c->type + "\" is not supported");
  }
  return Status::Ok();
}

Status Parser::Run(VocabSpec* spec) {
  std::string_view key;
  std::string scratch;
  if (!r_.BeginObject()) return Error("top level");
  while (r_.NextMember(&key, &scratch)) {
    const std::string k(key);
    bool ok = true;
    if (k == "model") {
      has_model_ = true;
      ok = ReadModel();
    } else if (k == "added_tokens") {
      ok = r_.Peek() == Kind::kNull ? r_.Skip() : ReadAddedTokens();
    } else if (k == "normalizer") {
      ok = ReadComponentOrNull(&normalizer_, &has_normalizer_);
    } else if (k == "pre_tokenizer") {
      ok = ReadComponentOrNull(&pre_tokenizer_, &has_pre_tokenizer_);
    } else if (k == "decoder") {
      ok = ReadComponentOrNull(&decoder_, &has_decoder_);
    } else if (k == "post_processor") {
      ok = ReadComponentOrNull(&post_processor_, &has_post_processor_);
    } else {
      ok = r_.Skip();
    }
    if (!ok) return Error("\"" + k + "\"");
  }
  if (r_.failed() || !r_.ExpectEnd()) return Error("top level");
  return Build(spec);
}

Status Parser::Build(VocabSpec* spec) {
  auto corrupt = [&](const std::string& what) { return CorruptData(name_ + ": " + what); };
  if (!has_model_) return corrupt("no \"model\"");
  if (model_.type != "BPE" && !(model_.type.empty() && model_.has_merges)) {
    return Unsupported(name_ + ": model type \"" + model_.type + "\" is not supported (only BPE)");
  }
  if (!model_.has_vocab) return corrupt("model has no \"vocab\"");
  if (model_.ignore_merges)
    return Unsupported(name_ + ": \"ignore_merges\": true is not supported");
  if (model_.dropout != 0) return Unsupported(name_ + ": BPE dropout is not supported");
  if (!model_.prefix.empty() || !model_.suffix.empty()) {
    return Unsupported(name_ +
                       ": continuing_subword_prefix / end_of_word_suffix are not supported");
  }
  bool prepend = false;
  GEMMA_RETURN_IF_ERROR(CheckPipeline(&prepend));

  // Id space: the model vocabulary plus added tokens; ids must be dense
  // enough that a hostile file cannot make us allocate more than it holds.
  int64_t max_id = -1;
  for (const auto& [piece, id] : model_.vocab) {
    if (id < 0) return corrupt("vocab: piece \"" + std::string(piece) + "\" has negative id");
    max_id = std::max(max_id, id);
  }
  for (const Added& a : added_) {
    if (a.id < 0) return corrupt("added_tokens: \"" + a.content + "\" has negative id");
    max_id = std::max(max_id, a.id);
  }
  const size_t entries = model_.vocab.size() + added_.size();
  if (max_id < 0) return corrupt("empty vocabulary");
  if (static_cast<uint64_t>(max_id) >= entries) {
    return corrupt("id " + std::to_string(max_id) + " is beyond the " + std::to_string(entries) +
                   " vocabulary entries");
  }
  const size_t n = static_cast<size_t>(max_id) + 1;
  spec->pieces.assign(n, std::string());
  spec->types.assign(n, PieceType::kNormal);
  spec->scores.clear();
  std::vector<bool> set(n, false);
  for (const auto& [piece, id] : model_.vocab) {
    if (set[id]) {
      return corrupt("vocab: id " + std::to_string(id) + " is given to both \"" + spec->pieces[id] +
                     "\" and \"" + std::string(piece) + "\"");
    }
    set[id] = true;
    spec->pieces[id].assign(piece);
    if (model_.byte_fallback && piece.size() == 6 && piece.starts_with("<0x") && piece[5] == '>') {
      // HF looks byte pieces up as format!("<{:#04X}>"): uppercase hex only.
      auto up = [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); };
      if (up(piece[3]) && up(piece[4])) spec->types[id] = PieceType::kByte;
    }
  }
  for (const Added& a : added_) {
    if (a.lstrip || a.rstrip || a.single_word) {
      return Unsupported(name_ + ": added token \"" + a.content +
                         "\" uses lstrip/rstrip/single_word, which is not supported");
    }
    if (a.content.empty()) return corrupt("added token " + std::to_string(a.id) + " is empty");
    if (set[a.id] && spec->pieces[a.id] != a.content) {
      return corrupt("added token \"" + a.content + "\" has id " + std::to_string(a.id) +
                     ", which the vocabulary gives to \"" + spec->pieces[a.id] + "\"");
    }
    set[a.id] = true;
    spec->pieces[a.id] = a.content;
    spec->types[a.id] = a.special ? PieceType::kControl : PieceType::kUserDefined;
  }
  for (size_t i = 0; i < n; ++i) {
    if (!set[i]) spec->types[i] = PieceType::kUnused;  // a hole in the id space
  }

  tok::PieceIndex index;
  index.Build(&spec->pieces);
  auto find_special = [&](std::string_view piece) {
    const int32_t id = index.Find(piece);
    return (id >= 0 && set[id]) ? id : -1;
  };
  spec->unk_id = -1;
  if (model_.has_unk) {
    spec->unk_id = find_special(model_.unk_token);
    if (spec->unk_id < 0) {
      return corrupt("unk_token \"" + model_.unk_token + "\" is not in the vocabulary");
    }
    spec->types[spec->unk_id] = PieceType::kUnknown;
  }
  std::string bos = "<bos>";
  if (has_post_processor_ && !post_processor_.first_special_token.empty()) {
    bos = post_processor_.first_special_token;
  }
  spec->bos_id = find_special(bos);
  spec->eos_id = find_special("<eos>");
  spec->pad_id = find_special("<pad>");
  spec->add_space_prefix = prepend;
  spec->fuse_unk = model_.fuse_unk;

  spec->merges.clear();
  spec->merge_ids.clear();
  spec->merge_ids.reserve(model_.merges.size());
  for (size_t i = 0; i < model_.merges.size(); ++i) {
    const auto& [a, b] = model_.merges[i];
    const int32_t ia = index.Find(a), ib = index.Find(b);
    if (ia < 0 || ib < 0) {
      return corrupt("merge " + std::to_string(model_.merge_index[i]) + ": \"" +
                     std::string(ia < 0 ? a : b) + "\" is not in the vocabulary");
    }
    spec->merge_ids.emplace_back(ia, ib);
  }
  if (spec->merge_ids.empty()) {
    return Unsupported(name_ + ": a BPE model without merges is not supported");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<VocabSpec> VocabFromTokenizerJsonText(std::string_view json, const std::string& name) {
  VocabSpec spec;
  Parser parser(json, name);
  GEMMA_RETURN_IF_ERROR(parser.Run(&spec));
  return spec;
}

StatusOr<VocabSpec> VocabFromTokenizerJson(const std::string& path) {
  GEMMA_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, MappedFile::Open(path));
  return VocabFromTokenizerJsonText(
      std::string_view(reinterpret_cast<const char*>(file->data()), file->size()), path);
}

}  // namespace gemma
