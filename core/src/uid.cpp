// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/core/uid.hpp"

#include <algorithm>
#include <array>

#include "sagitta/core/sha256.hpp"

namespace sagitta::core {

std::string uidFromKey(std::string_view key) {
  Sha256 sha;
  sha.update(key);
  const auto digest = sha.finish();
  std::array<std::uint8_t, 16> uuid{};
  std::copy_n(digest.begin(), 16, uuid.begin());
  uuid[6] = static_cast<std::uint8_t>((uuid[6] & 0x0FU) | 0x80U);  // version 8
  uuid[8] = static_cast<std::uint8_t>((uuid[8] & 0x3FU) | 0x80U);  // RFC 4122 variant
  // 128-bit big-endian integer to decimal by repeated division by 10 (32-bit limbs).
  std::array<std::uint32_t, 4> limbs{};
  for (std::size_t i = 0; i < 4; ++i) {
    limbs[i] = (std::uint32_t{uuid[4 * i]} << 24U) | (std::uint32_t{uuid[4 * i + 1]} << 16U) |
               (std::uint32_t{uuid[4 * i + 2]} << 8U) | std::uint32_t{uuid[4 * i + 3]};
  }
  std::string digits;
  while (std::any_of(limbs.begin(), limbs.end(), [](std::uint32_t l) { return l != 0; })) {
    std::uint64_t remainder = 0;
    for (auto& limb : limbs) {
      const std::uint64_t value = (remainder << 32U) | limb;
      limb = static_cast<std::uint32_t>(value / 10U);
      remainder = value % 10U;
    }
    digits.push_back(static_cast<char>('0' + remainder));
  }
  if (digits.empty()) digits = "0";
  std::reverse(digits.begin(), digits.end());
  return "2.25." + digits;
}

}  // namespace sagitta::core
