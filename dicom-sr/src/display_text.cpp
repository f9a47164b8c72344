// SPDX-License-Identifier: GPL-3.0-or-later
#include "display_text.hpp"

#include <cstdio>

#include "sagitta/core/fail_closed.hpp"
#include "sagitta/core/measurement_json.hpp"
#include "sagitta/core/parameter_catalogue.hpp"

namespace sagitta::dicom::detail {
namespace {

int decimalsOf(core::ParameterUnit unit) { return unit == core::ParameterUnit::Ratio ? 2 : 1; }

}  // namespace

std::string fixed(double value, int decimals) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string shownValue(const core::ParameterValue& value, bool calibrated, const char* notMeasured) {
  const auto& info = core::parameterInfo(value.id);
  if (value.value) {
    return fixed(core::roundForDisplay(*value.value, info.unit), decimalsOf(info.unit)) + " " +
           std::string(core::unitSymbol(info.unit, calibrated));
  }
  return core::isWithheld(value) ? "withheld" : core::isOutsideFieldOfView(value) ? "off film" : notMeasured;
}

std::string paperNormal(core::ParameterId id) {
  const auto& info = core::parameterInfo(id);
  return fixed(info.paperMean, decimalsOf(info.unit)) + " +/- " + fixed(info.paperSd, decimalsOf(info.unit));
}

}  // namespace sagitta::dicom::detail
