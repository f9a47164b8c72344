// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/core/parameter_catalogue.hpp"

#include <cstdlib>

namespace sagitta::core {
namespace {

using L = LandmarkId;
using P = ParameterId;
using G = ParameterGroup;
using U = ParameterUnit;

// Plausible ranges are deliberately wide: they flag landmark sets that are probably wrong
// (swapped corners, a mislabelled level), not abnormal patients. They cover the adult
// deformity cohorts of seeds/000 (mean +- ~4 SD) and the extremes of hyperkyphosis,
// flat back and severe imbalance reported in the sagittal-balance literature.
std::array<ParameterInfo, kParameterCount> buildCatalogue() {
  return {{
      {P::PI, "PI", "pelvic incidence", G::Fundamental, U::Degree, {L::S1_A, L::S1_P, L::FH_A, L::FH_P},
       51.6, 13.1, 15.0, 110.0,
       "angle between the perpendicular to the S1 endplate at S1m and the line S1m-HA (= PT + SS)"},
      {P::SS, "SS", "sacral slope", G::Fundamental, U::Degree, {L::S1_A, L::S1_P},
       35.9, 12.1, -15.0, 80.0, "-e(S1_A, S1_P)"},
      {P::PT, "PT", "pelvic tilt", G::Fundamental, U::Degree, {L::S1_A, L::S1_P, L::FH_A, L::FH_P},
       15.6, 11.0, -30.0, 65.0, "-tilt(S1m - HA), + when HA is anterior to S1m"},
      {P::LL, "LL", "lumbar lordosis L1-S1", G::Fundamental, U::Degree, {L::L1_AS, L::L1_PS, L::S1_A, L::S1_P},
       47.0, 17.4, -40.0, 110.0, "e(L1_AS, L1_PS) - e(S1_A, S1_P)"},
      {P::SVA, "SVA", "sagittal vertical axis", G::Fundamental, U::Length, {L::C7_C, L::S1_P},
       25.2, 47.3, -150.0, 350.0, "(C7_C - S1_P) . a"},
      {P::CL, "CL", "cervical lordosis C2-C7", G::Regional, U::Degree, {L::C2_AI, L::C2_PI, L::C7_AI, L::C7_PI},
       9.4, 17.3, -60.0, 80.0, "e(C2_AI, C2_PI) - e(C7_AI, C7_PI)"},
      {P::T1S, "T1S", "T1 slope", G::Regional, U::Degree, {L::T1_AS, L::T1_PS},
       24.4, 11.3, -30.0, 80.0, "-e(T1_AS, T1_PS)"},
      {P::cSVA, "cSVA", "cervical sagittal vertical axis", G::Regional, U::Length, {L::C2_C, L::C7_PS},
       20.2, 13.4, -40.0, 120.0, "(C2_C - C7_PS) . a"},
      {P::GTK, "GTK", "global thoracic kyphosis T1-T12", G::Regional, U::Degree,
       {L::T12_AI, L::T12_PI, L::T1_AS, L::T1_PS}, 37.7, 14.4, -30.0, 120.0,
       "e(T12_AI, T12_PI) - e(T1_AS, T1_PS)"},
      {P::PTK, "PTK", "proximal thoracic kyphosis T1-T5", G::Regional, U::Degree,
       {L::T5_AI, L::T5_PI, L::T1_AS, L::T1_PS}, 13.7, 9.7, -30.0, 70.0,
       "e(T5_AI, T5_PI) - e(T1_AS, T1_PS)"},
      {P::MTK, "MTK", "main thoracic kyphosis T5-T12", G::Regional, U::Degree,
       {L::T12_AI, L::T12_PI, L::T5_AS, L::T5_PS}, 26.7, 13.5, -40.0, 110.0,
       "e(T12_AI, T12_PI) - e(T5_AS, T5_PS)"},
      {P::L4SL, "L4SL", "L4-S1 lordosis", G::Regional, U::Degree, {L::L4_AS, L::L4_PS, L::S1_A, L::S1_P},
       31.3, 11.5, -20.0, 80.0, "e(L4_AS, L4_PS) - e(S1_A, S1_P)"},
      {P::LPA, "LPA", "L1 pelvic angle", G::Regional, U::Degree, {L::L1_C, L::FH_A, L::FH_P, L::S1_A, L::S1_P},
       8.3, 8.3, -30.0, 50.0, "tilt(L1_C - HA) - tilt(S1m - HA)"},
      {P::SSA, "SSA", "spino-sacral angle", G::Global, U::Degree, {L::C7_C, L::S1_A, L::S1_P},
       124.4, 14.8, 60.0, 180.0, "unsigned angle at S1m between S1m->C7_C and S1m->S1_A"},
      {P::GT, "GT", "global tilt", G::Global, U::Degree, {L::C7_C, L::S1_A, L::S1_P, L::FH_A, L::FH_P},
       17.2, 15.0, -30.0, 90.0, "tilt(C7_C - S1m) - tilt(S1m - HA), vertex at S1m"},
      {P::TPA, "TPA", "T1 pelvic angle", G::Global, U::Degree, {L::T1_C, L::FH_A, L::FH_P, L::S1_A, L::S1_P},
       13.1, 12.0, -30.0, 80.0, "tilt(T1_C - HA) - tilt(S1m - HA)"},
      {P::BARREY, "BARREY", "Barrey index (C7 plumb line / sacro-femoral distance)", G::Global, U::Ratio,
       {L::C7_C, L::S1_P, L::FH_A, L::FH_P}, 0.4, 3.1, -15.0, 15.0,
       "SVA / SFD, SFD = (HA - S1_P) . a"},
      {P::ODHA, "ODHA", "odontoid-hip axis angle", G::Global, U::Degree, {L::C2_DENS, L::FH_A, L::FH_P},
       -0.4, 3.9, -25.0, 25.0, "tilt(C2_DENS - HA)"},
  }};
}

bool catalogueIsInOrder(const std::array<ParameterInfo, kParameterCount>& catalogue) {
  for (std::size_t i = 0; i < catalogue.size(); ++i) {
    if (indexOf(catalogue[i].id) != i) return false;
  }
  return true;
}

}  // namespace

const std::array<ParameterInfo, kParameterCount>& parameterCatalogue() {
  static const std::array<ParameterInfo, kParameterCount> catalogue = [] {
    auto built = buildCatalogue();
    if (!catalogueIsInOrder(built)) std::abort();  // programming error, caught by every test
    return built;
  }();
  return catalogue;
}

const ParameterInfo& parameterInfo(ParameterId id) { return parameterCatalogue()[indexOf(id)]; }

std::string_view parameterKey(ParameterId id) { return parameterInfo(id).key; }

std::optional<ParameterId> parameterFromKey(std::string_view key) {
  for (const auto& info : parameterCatalogue()) {
    if (info.key == key) return info.id;
  }
  return std::nullopt;
}

std::string_view groupName(ParameterGroup group) {
  switch (group) {
    case ParameterGroup::Fundamental: return "fundamental spinopelvic";
    case ParameterGroup::Regional: return "regional spinal";
    case ParameterGroup::Global: return "global spinopelvic";
  }
  return "unknown";
}

std::string_view unitSymbol(ParameterUnit unit, bool calibrated) {
  switch (unit) {
    case ParameterUnit::Degree: return "deg";
    case ParameterUnit::Length: return calibrated ? "mm" : "px";
    case ParameterUnit::Ratio: return "ratio";
  }
  return "";
}

}  // namespace sagitta::core
