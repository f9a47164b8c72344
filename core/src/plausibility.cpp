// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/core/plausibility.hpp"

#include <algorithm>
#include <optional>
#include <sstream>

namespace sagitta::core {
namespace {

using L = LandmarkId;

std::string key(LandmarkId id) { return std::string(landmarkKey(id)); }

std::string formatNumber(double value) {
  std::ostringstream out;
  out.precision(1);
  out << std::fixed << value;
  return out.str();
}

class Checker {
 public:
  Checker(const LandmarkSet& landmarks, const SpineFrame& frame) : landmarks_(landmarks), frame_(frame) {}

  bool has(L id) const { return landmarks_.has(id); }
  Vec2 mm(L id) const { return frame_.toMm(landmarks_.at(id)); }

  void warn(std::string code, std::string message, std::vector<LandmarkId> ids) {
    warnings_.push_back({std::move(code), std::move(message), std::move(ids), {}});
  }

  void checkCentreOrder() {
    const L* previous = nullptr;
    for (const auto& centre : bodyCentres()) {
      if (!has(centre)) continue;
      if (previous != nullptr && SpineFrame::up(mm(centre) - mm(*previous)) >= 0.0) {
        warn("centre_order", key(centre) + " is not below " + key(*previous) +
                                 ": vertebral centres out of cranio-caudal order",
             {*previous, centre});
      }
      previous = &centre;
    }
    if (has(L::C2_DENS) && has(L::C2_C) && SpineFrame::up(mm(L::C2_DENS) - mm(L::C2_C)) <= 0.0) {
      warn("centre_order", "C2_DENS is not above C2_C", {L::C2_DENS, L::C2_C});
    }
    if (has(L::S1_A) && has(L::S1_P) && has(L::L5_C) &&
        SpineFrame::up(midpoint(mm(L::S1_A), mm(L::S1_P)) - mm(L::L5_C)) >= 0.0) {
      warn("centre_order", "the S1 endplate is not below L5_C", {L::S1_A, L::S1_P, L::L5_C});
    }
  }

  void checkCornerSides() {
    const std::string facing(facingKey(frame_.facing()));
    auto checkAnterior = [&](L anterior, L posterior) {
      if (!has(anterior) || !has(posterior)) return;
      if (frame_.anterior(mm(anterior) - mm(posterior)) <= 0.0) {
        warn("corner_side", key(anterior) + " is not anterior to " + key(posterior) + " (patient faces " +
                                facing + "): anterior and posterior corners swapped?",
             {anterior, posterior});
      }
    };
    for (const auto& pair : endplatePairs()) checkAnterior(pair.anterior, pair.posterior);
    // C7_PS is a diagonal partner of C7_AI: judged in C7's own frame (along its inferior
    // endplate), since a steep C7 can put C7_PS anterior to C7_AI in image x.
    if (has(L::C7_AI) && has(L::C7_PI) && has(L::C7_PS)) {
      const Vec2 endplate = mm(L::C7_AI) - mm(L::C7_PI);
      const Vec2 corner = mm(L::C7_PS) - mm(L::C7_PI);
      const double along = (corner.x * endplate.x + corner.y * endplate.y) /
                           std::max(1e-9, endplate.x * endplate.x + endplate.y * endplate.y);
      if (along >= 0.5) {
        warn("corner_side", "C7_PS is not on the posterior half of C7 (along its inferior endplate C7_PI-C7_AI)",
             {L::C7_AI, L::C7_PI, L::C7_PS});
      }
    }

    auto checkAbove = [&](L superior, L inferior) {
      if (!has(superior) || !has(inferior)) return;
      if (SpineFrame::up(mm(superior) - mm(inferior)) <= 0.0) {
        warn("corner_side", key(superior) + " is not above " + key(inferior) +
                                ": superior and inferior corners swapped?",
             {superior, inferior});
      }
    };
    checkAbove(L::T5_AS, L::T5_AI);
    checkAbove(L::T5_PS, L::T5_PI);
    checkAbove(L::C7_PS, L::C7_PI);
  }

  // A missed, doubled or collapsed level shows as one spacing far from its neighbour's, in any
  // unit: the check needs no calibration (most real films have none).
  void checkCentreRhythm() {
    const auto& centres = bodyCentres();
    std::optional<double> previous;
    for (std::size_t i = 1; i < centres.size(); ++i) {
      if (!has(centres[i - 1]) || !has(centres[i])) {
        previous.reset();
        continue;
      }
      const double spacing = length(mm(centres[i]) - mm(centres[i - 1]));
      if (previous && i >= 2) {
        const double ratio = spacing / std::max(1e-9, *previous);
        if (ratio > kMaxAdjacentSpacingRatio || ratio < 1.0 / kMaxAdjacentSpacingRatio) {
          warn("centre_rhythm", "spacing " + key(centres[i - 1]) + "-" + key(centres[i]) + " is " +
                                    formatNumber(ratio) + " times " + key(centres[i - 2]) + "-" + key(centres[i - 1]) +
                                    " (adjacent spacings differ by at most " + formatNumber(kMaxAdjacentSpacingRatio) +
                                    " times): a vertebral level missed, doubled or mislabelled",
               {centres[i - 2], centres[i - 1], centres[i]});
        }
      }
      previous = spacing;
    }
  }

  // A body is about as deep as it and its disc are tall (Panjabi 1991, 1992: endplate depth over
  // centre spacing 0.7-1.3 from C2 to S1): a corner pulled onto a neighbour breaks that in any unit.
  void checkEndplateDepths() {
    const auto& centres = bodyCentres();
    auto index = [&](L id) { return static_cast<std::size_t>(std::find(centres.begin(), centres.end(), id) - centres.begin()); };
    for (const auto& pair : endplatePairs()) {
      if (!has(pair.anterior) || !has(pair.posterior)) continue;
      std::vector<double> spacings;
      if (pair.anterior == L::S1_A) {  // S1 has no centre: the L4-L5 spacing above it
        if (has(L::L4_C) && has(L::L5_C)) spacings.push_back(length(mm(L::L5_C) - mm(L::L4_C)));
      } else {
        const std::size_t i = index(owner(pair.anterior));
        if (i >= centres.size() || !has(centres[i])) continue;
        if (i > 0 && has(centres[i - 1])) spacings.push_back(length(mm(centres[i]) - mm(centres[i - 1])));
        if (i + 1 < centres.size() && has(centres[i + 1])) spacings.push_back(length(mm(centres[i + 1]) - mm(centres[i])));
      }
      if (spacings.empty()) continue;
      const double spacing = (spacings.front() + spacings.back()) / 2.0;
      const double ratio = length(mm(pair.anterior) - mm(pair.posterior)) / std::max(1e-9, spacing);
      if (ratio < kEndplateDepthToSpacing.min || ratio > kEndplateDepthToSpacing.max) {
        warn("endplate_proportion", "endplate " + key(pair.anterior) + "-" + key(pair.posterior) + " is " +
                                        formatNumber(ratio) + " times the spacing of the centres beside it (anatomical " +
                                        formatNumber(kEndplateDepthToSpacing.min) + "-" +
                                        formatNumber(kEndplateDepthToSpacing.max) + "): a corner misplaced",
             {pair.anterior, pair.posterior});
      }
    }
  }

  // The body centre of the vertebra an endplate corner belongs to (C2_AI -> C2_C, L4_AS -> L4_C).
  static L owner(L corner) {
    const std::string k(landmarkKey(corner));
    const auto centre = landmarkFromKey(k.substr(0, k.find('_')) + "_C");
    return centre ? *centre : corner;
  }

  void checkDistance(const std::string& code, const std::string& what, Vec2 a, Vec2 b, DistanceBounds bounds,
                     std::vector<LandmarkId> ids) {
    const double d = length(a - b);
    if (d < bounds.min || d > bounds.max) {
      warn(code, what + " is " + formatNumber(d) + " mm, outside the anatomical range " +
                     formatNumber(bounds.min) + "-" + formatNumber(bounds.max) + " mm",
           std::move(ids));
    }
  }

  void checkDistances() {
    const auto& centres = bodyCentres();
    for (std::size_t i = 1; i < centres.size(); ++i) {
      const L upper = centres[i - 1];
      const L lower = centres[i];
      if (!has(upper) || !has(lower)) continue;
      const Region region = landmarkInfo(lower).region;
      const DistanceBounds bounds = region == Region::Cervical   ? kCervicalCentreSpacing
                                    : region == Region::Thoracic ? kThoracicCentreSpacing
                                                                 : kLumbarCentreSpacing;
      checkDistance("centre_spacing", "distance " + key(upper) + "-" + key(lower), mm(upper), mm(lower), bounds,
                    {upper, lower});
    }
    for (const auto& pair : endplatePairs()) {
      if (!has(pair.anterior) || !has(pair.posterior)) continue;
      checkDistance("endplate_width", "endplate " + key(pair.anterior) + "-" + key(pair.posterior),
                    mm(pair.anterior), mm(pair.posterior), kEndplateWidth, {pair.anterior, pair.posterior});
    }
    if (has(L::FH_A) && has(L::FH_P)) {
      checkDistance("femoral_heads", "femoral head separation", mm(L::FH_A), mm(L::FH_P),
                    kFemoralHeadSeparation, {L::FH_A, L::FH_P});
    }
    if (has(L::FH_A) && has(L::FH_P) && has(L::S1_A) && has(L::S1_P)) {
      checkDistance("pelvic_radius", "hip axis to S1 endplate distance", midpoint(mm(L::FH_A), mm(L::FH_P)),
                    midpoint(mm(L::S1_A), mm(L::S1_P)), kPelvicRadius, {L::FH_A, L::FH_P, L::S1_A, L::S1_P});
    }
  }

  std::vector<QualityWarning> take() { return std::move(warnings_); }

 private:
  const LandmarkSet& landmarks_;
  const SpineFrame& frame_;
  std::vector<QualityWarning> warnings_;
};

}  // namespace

std::vector<QualityWarning> checkLandmarks(const LandmarkSet& landmarks, const SpineFrame& frame,
                                           const Calibration& calibration) {
  Checker checker(landmarks, frame);
  checker.checkCentreOrder();
  checker.checkCornerSides();
  checker.checkCentreRhythm();
  checker.checkEndplateDepths();
  if (calibration.calibrated()) {
    checker.checkDistances();
  }
  auto warnings = checker.take();
  if (!calibration.calibrated()) {
    warnings.push_back({"uncalibrated",
                        "no calibration: SVA and cSVA are in pixels and the anatomical distance checks "
                        "were skipped",
                        {},
                        {ParameterId::SVA, ParameterId::cSVA}});
  }
  return warnings;
}

std::vector<QualityWarning> checkParameterRanges(const ParameterValues& parameters, const Calibration& calibration) {
  std::vector<QualityWarning> warnings;
  for (const auto& value : parameters) {
    const auto& info = parameterInfo(value.id);
    if (!value.value) continue;
    if (info.unit == ParameterUnit::Length && !calibration.calibrated()) continue;
    if (*value.value < info.plausibleMin || *value.value > info.plausibleMax) {
      const std::string unit(unitSymbol(info.unit, calibration.calibrated()));
      warnings.push_back({"out_of_range",
                          std::string(info.key) + " = " + formatNumber(*value.value) + " " + unit +
                              " is outside the plausible range " + formatNumber(info.plausibleMin) + " to " +
                              formatNumber(info.plausibleMax) + " " + unit,
                          {},
                          {info.id}});
    }
  }
  return warnings;
}

void attachWarnings(std::vector<QualityWarning>& warnings, ParameterValues& parameters) {
  for (auto& warning : warnings) {
    for (const auto& info : parameterCatalogue()) {
      const bool concerned = std::any_of(warning.landmarks.begin(), warning.landmarks.end(), [&](LandmarkId id) {
        return std::find(info.landmarks.begin(), info.landmarks.end(), id) != info.landmarks.end();
      });
      const bool listed =
          std::find(warning.parameters.begin(), warning.parameters.end(), info.id) != warning.parameters.end();
      if (concerned && !listed) warning.parameters.push_back(info.id);
    }
    std::sort(warning.parameters.begin(), warning.parameters.end());
    for (const auto id : warning.parameters) parameters[indexOf(id)].warnings.push_back(warning.message);
  }
}

}  // namespace sagitta::core
