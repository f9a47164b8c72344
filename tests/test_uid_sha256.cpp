// SPDX-License-Identifier: GPL-3.0-or-later
#include <string>

#include <gtest/gtest.h>

#include "sagitta/core/sha256.hpp"
#include "sagitta/core/uid.hpp"

namespace sagitta::core {
namespace {

TEST(Sha256, KnownVectors) {  // FIPS 180-4 examples
  EXPECT_EQ(Sha256::hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256::hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256::hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  Sha256 chunked;
  const std::string million(1000000, 'a');
  for (std::size_t i = 0; i < million.size(); i += 997) chunked.update(million.substr(i, 997));
  EXPECT_EQ(toHex(chunked.finish()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Uid, DeterministicValidAndDistinct) {
  const std::string a = uidFromKey("instance-1"), b = uidFromKey("instance-1"), c = uidFromKey("instance-2");
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(a.rfind("2.25.", 0), 0U);
  EXPECT_LE(a.size(), 64U);  // UI maximum length
  EXPECT_NE(a[5], '0');      // no leading zero in a component
  for (std::size_t i = 5; i < a.size(); ++i) EXPECT_TRUE(a[i] >= '0' && a[i] <= '9') << a;
}

}  // namespace
}  // namespace sagitta::core
