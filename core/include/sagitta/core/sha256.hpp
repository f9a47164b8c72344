// SPDX-License-Identifier: GPL-3.0-or-later
// SHA-256 (FIPS 180-4), for model bundle digests and deterministic UIDs.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sagitta::core {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t size);
  void update(std::string_view text) { update(text.data(), text.size()); }
  std::array<std::uint8_t, 32> finish();

  static std::string hex(std::string_view data);

 private:
  void block(const std::uint8_t* chunk);
  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t length_ = 0;
};

std::string toHex(const std::array<std::uint8_t, 32>& digest);

}  // namespace sagitta::core
