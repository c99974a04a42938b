#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gemma/tokenizer.h"

namespace gemma {
namespace {

StatusOr<std::string> Render(std::vector<ChatMessage> m, bool gen = false) {
  return RenderChat(m, gen);
}

TEST(RenderChat, UserModelTurns) {
  auto r = Render({{"user", "  Hi there \n"}, {"assistant", "\nHello!  "}, {"user", "Bye"}}, true);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r,
            "<start_of_turn>user\nHi there<end_of_turn>\n"
            "<start_of_turn>model\nHello!<end_of_turn>\n"
            "<start_of_turn>user\nBye<end_of_turn>\n"
            "<start_of_turn>model\n");
  auto m = Render({{"user", "a"}, {"model", "b"}}, false);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m, "<start_of_turn>user\na<end_of_turn>\n<start_of_turn>model\nb<end_of_turn>\n");
}

TEST(RenderChat, SystemFoldedIntoFirstUserTurn) {
  // As Gemma 3's template: the system text is used as is (not trimmed).
  auto r = Render({{"system", " Be brief. \n"}, {"user", "\tList three primes.\n"}}, true);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r,
            "<start_of_turn>user\n Be brief. \n\n\nList three primes.<end_of_turn>\n"
            "<start_of_turn>model\n");
  auto r2 = Render({{"system", "S"}, {"user", "u1"}, {"assistant", "m1"}, {"user", "u2"}});
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(*r2,
            "<start_of_turn>user\nS\n\nu1<end_of_turn>\n<start_of_turn>model\nm1<end_of_turn>\n"
            "<start_of_turn>user\nu2<end_of_turn>\n");
}

TEST(RenderChat, TrimsUnicodeWhitespaceLikeJinja) {
  auto r = Render({{"user", "\xE3\x80\x80x y\xC2\xA0\r\n"}});  // U+3000 ... U+00A0
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "<start_of_turn>user\nx y<end_of_turn>\n");
  auto e = Render({{"user", " \n "}});  // all whitespace
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(*e, "<start_of_turn>user\n<end_of_turn>\n");
  auto keep = Render({{"user", "\xE4\xB8\xAD"}});  // not whitespace
  ASSERT_TRUE(keep.ok());
  EXPECT_EQ(*keep, "<start_of_turn>user\n\xE4\xB8\xAD<end_of_turn>\n");
}

TEST(RenderChat, EmptyConversation) {
  auto r = Render({}, true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "<start_of_turn>model\n");
  auto r2 = Render({}, false);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(*r2, "");
}

TEST(RenderChat, Errors) {
  auto code = [](std::vector<ChatMessage> m) { return Render(std::move(m)).status().code(); };
  EXPECT_EQ(code({{"assistant", "x"}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({{"user", "x"}, {"user", "y"}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({{"user", "x"}, {"model", "y"}, {"model", "z"}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({{"user", "x"}, {"system", "y"}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({{"system", "x"}, {"system", "y"}, {"user", "z"}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({{"system", "x"}, {"assistant", "y"}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({{"system", "x"}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({{"tool", "x"}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({{"User", "x"}}), StatusCode::kInvalidArgument);
  auto msg = Render({{"user", "x"}, {"bot", "y"}}).status().message();
  EXPECT_NE(msg.find("bot"), std::string::npos);
}

}  // namespace
}  // namespace gemma
