// SPDX-License-Identifier: GPL-3.0-or-later
// A parameter's value and the paper's normal range as the overlay and the PDF report print them:
// one decimal (two for a ratio), after the rounding of the JSON and the SR.
#pragma once

#include <string>

#include "sagitta/core/measurement.hpp"

namespace sagitta::dicom::detail {

// value with a fixed number of decimals ("%.*f").
std::string fixed(double value, int decimals);

// "47.6 deg", or why there is no value: "withheld" (a failed check), "off film" (landmarks
// outside the field of view), else notMeasured.
std::string shownValue(const core::ParameterValue& value, bool calibrated, const char* notMeasured);

// The paper's "mean +/- SD" with the parameter's decimals.
std::string paperNormal(core::ParameterId id);

}  // namespace sagitta::dicom::detail
