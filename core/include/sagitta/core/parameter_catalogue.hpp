// SPDX-License-Identifier: GPL-3.0-or-later
// The 18 sagittal parameters of PARAMETERS.md: ids, units, the landmarks each needs, the
// paper's ground-truth mean (SD) (seeds/000, Table 1) and a plausible range for quality checks.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "sagitta/core/landmark_catalogue.hpp"

namespace sagitta::core {

// Order of PARAMETERS.md (and of every output).
enum class ParameterId : std::uint8_t {
  PI, SS, PT, LL, SVA, CL, T1S, cSVA, GTK, PTK, MTK, L4SL, LPA, SSA, GT, TPA, BARREY, ODHA,
};
inline constexpr std::size_t kParameterCount = 18;
constexpr std::size_t indexOf(ParameterId id) { return static_cast<std::size_t>(id); }

enum class ParameterUnit : std::uint8_t { Degree, Length, Ratio };
enum class ParameterGroup : std::uint8_t { Fundamental, Regional, Global };

struct ParameterInfo {
  ParameterId id;
  std::string_view key;         // "PI", "cSVA", "BARREY", ...
  std::string_view name;        // "pelvic incidence"
  ParameterGroup group;         // the paper's grouping
  ParameterUnit unit;
  std::vector<LandmarkId> landmarks;  // every landmark the definition reads
  double paperMean;             // seeds/000 Table 1, ground truth mean
  double paperSd;
  double plausibleMin;          // outside [min, max] the value gets a warning
  double plausibleMax;
  std::string_view definition;  // PARAMETERS.md, in words
};

const std::array<ParameterInfo, kParameterCount>& parameterCatalogue();
const ParameterInfo& parameterInfo(ParameterId id);
std::string_view parameterKey(ParameterId id);
std::optional<ParameterId> parameterFromKey(std::string_view key);
std::string_view groupName(ParameterGroup group);
// "deg", "ratio", and "mm" or "px" for lengths depending on calibration.
std::string_view unitSymbol(ParameterUnit unit, bool calibrated);

}  // namespace sagitta::core
