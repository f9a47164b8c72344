// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/core/fail_closed.hpp"

#include <algorithm>

namespace sagitta::core {

bool failsClosed(const QualityWarning& warning) { return warning.code != "uncalibrated"; }

FailClosedVerdict applyFailClosed(Measurement& m) {
  FailClosedVerdict verdict;
  std::vector<const QualityWarning*> failed;
  for (const auto& warning : m.warnings) {
    if (failsClosed(warning)) failed.push_back(&warning);
  }
  if (failed.empty()) return verdict;

  std::vector<ParameterId> withheld;
  for (const auto* warning : failed) {
    for (const auto id : warning->parameters) {
      if (m[id].value && std::find(withheld.begin(), withheld.end(), id) == withheld.end()) withheld.push_back(id);
    }
  }
  const std::size_t measured = m.measuredCount();
  const bool topologyBroken = std::any_of(failed.begin(), failed.end(),
                                          [](const QualityWarning* w) {
                                            return w->code == "centre_order" || w->code == "centre_rhythm";
                                          });
  const bool tooMany = failed.size() > kMaxFailedChecksForPartial;
  const bool mostWithheld = 2 * withheld.size() > measured;
  if (topologyBroken || tooMany || mostWithheld) {
    verdict.refused = true;
    for (const auto* warning : failed) verdict.reasons.push_back("failed quality check: " + warning->message);
    if (!topologyBroken && !tooMany) {
      verdict.reasons.push_back("the failed checks concern " + std::to_string(withheld.size()) + " of the " +
                                std::to_string(measured) + " parameters the landmarks allow");
    }
    return verdict;
  }

  std::sort(withheld.begin(), withheld.end());
  for (const auto id : withheld) {
    auto& value = m.parameters[indexOf(id)];
    std::string because;
    for (const auto* warning : failed) {
      if (std::find(warning->parameters.begin(), warning->parameters.end(), id) == warning->parameters.end()) continue;
      because += (because.empty() ? "" : "; ") + warning->message;
    }
    value.value.reset();
    value.reason = std::string(kWithheldReasonPrefix) + because;
  }
  m.indices = computeSurgicalIndices(m.parameters, m.calibration);
  verdict.withheld = std::move(withheld);
  return verdict;
}

}  // namespace sagitta::core
