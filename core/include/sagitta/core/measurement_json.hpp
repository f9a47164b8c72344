// SPDX-License-Identifier: GPL-3.0-or-later
// The parameters JSON of FORMATS.md, extended with the surgical indices and the quality
// warnings (extra keys only: a FORMATS.md reader sees what it expects).
#pragma once

#include <string>

#include "sagitta/core/measurement.hpp"

namespace sagitta::core {

// Values are rounded for presentation: 0.01 deg / mm, 0.001 for ratios.
std::string measurementToJson(const Measurement& measurement, int indent = 2);

double roundForDisplay(double value, ParameterUnit unit);

}  // namespace sagitta::core
