// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer target: any bytes as a review decision's body (POST /sagitta/review/jobs/{id}), as an
// Authorization header and as a since= date: what a browser or a client may send the plugin.
// std::invalid_argument is the answer (a 400); anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "sagitta/plugin/review.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto request = sagitta::plugin::parseReviewRequest(text);
    if (request.action == sagitta::plugin::ReviewAction::Correct && !request.landmarks) __builtin_trap();
    if (request.landmarks) {
      const auto changes = sagitta::plugin::landmarkChanges(request.landmarks->landmarks, sagitta::core::LandmarkSet{});
      if (changes.empty()) __builtin_trap();
    }
  } catch (const std::invalid_argument&) {
  }
  const auto user = sagitta::plugin::basicAuthUser(text);
  if (user.size() > size) __builtin_trap();
  try {
    sagitta::plugin::parseSinceDate(std::string(text.substr(0, 64)));
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
