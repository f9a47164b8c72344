// SPDX-License-Identifier: GPL-3.0-or-later
// A readable table of a measurement: value, unit, the paper's normal mean (SD), flags.
#pragma once

#include <string>

#include "sagitta/core/measurement.hpp"

namespace sagitta::core {

std::string measurementToTable(const Measurement& measurement);

}  // namespace sagitta::core
