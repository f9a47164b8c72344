// SPDX-License-Identifier: GPL-3.0-or-later
// The fail-closed policy for measurements made from a model's landmarks: a quality check that
// fails (every warning but "uncalibrated") is not a caveat on a value but a reason not to report
// it. Either the parameters the failed check concerns become "not measurable" with its message,
// or, when the failure says the landmarks as a whole cannot be trusted, the film is refused.
// Landmarks a person placed are measured with warnings instead (sagitta measure): only the
// automatic pathway withholds. Policy and bounds: docs/MEASUREMENT.md, "Fail closed".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sagitta/core/measurement.hpp"

namespace sagitta::core {

struct FailClosedVerdict {
  bool refused = false;
  std::vector<std::string> reasons;  // the failed checks' messages, when refused
  std::vector<ParameterId> withheld;  // parameters made "not measurable" (empty when refused)
};

// A film is refused when its vertebral centres are out of order (the spine's topology is
// broken: no local value is trustworthy), when this many checks or more fail at once, or when
// the failed checks would withhold more than half of the parameters the landmarks allow.
inline constexpr std::size_t kMaxFailedChecksForPartial = 2;

// The reason of a withheld parameter starts with this (the failed checks' messages follow).
inline constexpr std::string_view kWithheldReasonPrefix = "not measurable: ";
inline bool isWithheld(const ParameterValue& value) {
  return !value.value && value.reason.rfind(kWithheldReasonPrefix.data(), 0, kWithheldReasonPrefix.size()) == 0;
}

// The reason of a parameter whose landmarks are not on the film at all (the model's presence
// output says so, models/analysis.hpp) starts with this; the landmarks' names follow.
inline constexpr std::string_view kOutsideFieldOfViewPrefix = "not in the field of view: ";
inline bool isOutsideFieldOfView(const ParameterValue& value) {
  return !value.value && value.reason.rfind(kOutsideFieldOfViewPrefix.data(), 0, kOutsideFieldOfViewPrefix.size()) == 0;
}

// True for the warning codes that fail closed (all but "uncalibrated").
bool failsClosed(const QualityWarning& warning);

// Applies the policy in place: withheld parameters lose their value (reason "not measurable:
// ..."), the surgical indices are recomputed without them. A refused measurement is left as it
// was; the caller must not report it.
FailClosedVerdict applyFailClosed(Measurement& measurement);

}  // namespace sagitta::core
