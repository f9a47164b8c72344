// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/phantom/truth_json.hpp"

#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "sagitta/core/measurement.hpp"
#include "sagitta/core/measurement_json.hpp"

namespace sagitta::phantom {
namespace {

using Json = nlohmann::ordered_json;

double round3(double v) { return std::round(v * 1000.0) / 1000.0; }

std::string_view calibrationStyleKey(CalibrationStyle style) {
  switch (style) {
    case CalibrationStyle::PixelSpacing: return "pixel_spacing+imager_pixel_spacing+magnification";
    case CalibrationStyle::ImagerMagnified: return "imager_pixel_spacing+magnification";
    case CalibrationStyle::ImagerOnly: return "imager_pixel_spacing";
  }
  return "";
}

Json patientJson(const PatientSpec& p) {
  Json varieties = Json::array();
  for (std::size_t i = 0; i < kVarietyCount; ++i) {
    if (p.has(static_cast<Variety>(i))) varieties.push_back(varietyKey(static_cast<Variety>(i)));
  }
  return Json{{"age_group", ageGroupKey(p.group)},
              {"age", p.age},
              {"sex", p.female ? "F" : "M"},
              {"size", round3(p.size)},
              {"body_mass", round3(p.bodyMass)},
              {"varieties", varieties},
              {"degeneration", round3(p.degeneration)},
              {"bone_density", round3(p.boneDensity)}};
}

}  // namespace

std::string truthToJson(const PhantomCase& c) {
  Json root = Json::parse(core::landmarksToJson(c.truth));
  const auto& p = c.patient;
  const auto& g = c.spine;
  char seed[32];
  std::snprintf(seed, sizeof seed, "%llu", static_cast<unsigned long long>(c.seed));
  Json shape{{"PI", round3(p.pelvicIncidence)},
             {"PT", round3(g.pelvicTilt)},
             {"SS", round3(g.sacralSlope)},
             {"LL", round3(p.lumbarLordosis)},
             {"GTK", round3(p.thoracicKyphosis)},
             {"CL", round3(g.cervicalLordosis)},
             {"SVA_target_mm", round3(p.svaTarget)},
             {"SVA_reached_mm", round3(g.svaReached)},
             {"T1S_minus_CL", round3(p.cervicalMismatch)},
             {"pelvic_radius_mm", round3(p.pelvicRadius)}};
  root["phantom"] = Json{{"generator", "sagitta phantom"},
                         {"seed", seed},
                         {"index", c.index},
                         {"patient", patientJson(p)},
                         {"shape", shape},
                         {"facing", c.placement.sign > 0 ? "right" : "left"},
                         {"patient_plane_spacing_mm", c.placement.rowSpacing},
                         {"magnification", c.magnification},
                         {"calibration_style", calibrationStyleKey(c.calibrationStyle)},
                         {"photometric", c.photometric == Photometric::Monochrome1 ? "MONOCHROME1" : "MONOCHROME2"},
                         {"bits_stored", c.bitsStored},
                         {"stitched_fields", c.stitchedFields}};
  // Parameters from the truth as a reader of the image would compute them (with its calibration).
  const auto measurement = core::measure(c.truth.landmarks, c.truth.image.calibration);
  root["parameters"] = Json::parse(core::measurementToJson(measurement));
  return root.dump(2);
}

}  // namespace sagitta::phantom
