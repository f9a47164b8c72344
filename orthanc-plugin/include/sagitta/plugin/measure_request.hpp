// SPDX-License-Identifier: GPL-3.0-or-later
// POST /sagitta/measure: a landmarks file (FORMATS.md) in, the parameters (FORMATS.md) out,
// through the same core engine as every analysis. A page that lets a person move points asks
// here, and holds no geometry of its own. Points a person placed are measured as
// `sagitta measure` does: warnings reported, nothing withheld.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sagitta::plugin {

// A landmarks file is a few kB; anything far larger is not one.
inline constexpr std::size_t kMaxMeasureBodyBytes = 4U << 20U;

// Throws std::invalid_argument with the reason for a body that is not a usable landmarks file
// (not JSON, a wrong field, an unknown landmark, points the geometry cannot use).
// withConstructions: the answer also has "constructions": {KEY: [[x, y], ...]}, each measured
// parameter's lines in image pixels as the SR and the overlay draw them (POST
// /sagitta/measure/constructions).
std::string measureLandmarksJson(std::string_view body, bool withConstructions = false);

}  // namespace sagitta::plugin
