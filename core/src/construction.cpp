// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/core/construction.hpp"

namespace sagitta::core {

std::vector<Vec2> constructionOf(ParameterId id, const LandmarkSet& landmarks) {
  for (const auto needed : parameterInfo(id).landmarks) {
    if (!landmarks.has(needed)) return {};
  }
  using L = LandmarkId;
  const auto p = [&](L l) { return Vec2{landmarks.at(l).x, landmarks.at(l).y}; };
  const Vec2 s1m = midpoint(p(L::S1_A), p(L::S1_P));
  const auto ha = [&] { return midpoint(p(L::FH_A), p(L::FH_P)); };
  // Vertical and horizontal references are drawn in image axes (rows are vertical).
  const auto below = [](Vec2 from, Vec2 level) { return Vec2{from.x, level.y}; };
  const auto level = [](Vec2 from, Vec2 at) { return Vec2{at.x, from.y}; };
  switch (id) {
    case ParameterId::PI: return {p(L::S1_P), p(L::S1_A), s1m, ha()};
    case ParameterId::SS: return {level(p(L::S1_A), p(L::S1_P)), p(L::S1_A), p(L::S1_P)};
    case ParameterId::PT: return {below(ha(), s1m), ha(), s1m};
    case ParameterId::LL: return {p(L::L1_PS), p(L::L1_AS), p(L::S1_A), p(L::S1_P)};
    case ParameterId::SVA: return {p(L::C7_C), below(p(L::C7_C), p(L::S1_P)), p(L::S1_P)};
    case ParameterId::CL: return {p(L::C2_PI), p(L::C2_AI), p(L::C7_AI), p(L::C7_PI)};
    case ParameterId::T1S: return {level(p(L::T1_PS), p(L::T1_AS)), p(L::T1_PS), p(L::T1_AS)};
    case ParameterId::cSVA: return {p(L::C2_C), below(p(L::C2_C), p(L::C7_PS)), p(L::C7_PS)};
    case ParameterId::GTK: return {p(L::T1_PS), p(L::T1_AS), p(L::T12_AI), p(L::T12_PI)};
    case ParameterId::PTK: return {p(L::T1_PS), p(L::T1_AS), p(L::T5_AI), p(L::T5_PI)};
    case ParameterId::MTK: return {p(L::T5_PS), p(L::T5_AS), p(L::T12_AI), p(L::T12_PI)};
    case ParameterId::L4SL: return {p(L::L4_PS), p(L::L4_AS), p(L::S1_A), p(L::S1_P)};
    case ParameterId::LPA: return {p(L::L1_C), ha(), s1m};
    case ParameterId::SSA: return {p(L::C7_C), s1m, p(L::S1_A)};
    case ParameterId::GT: return {p(L::C7_C), s1m, ha()};
    case ParameterId::TPA: return {p(L::T1_C), ha(), s1m};
    case ParameterId::BARREY:
      return {p(L::C7_C), below(p(L::C7_C), p(L::S1_P)), p(L::S1_P), below(ha(), p(L::S1_P)), ha()};
    case ParameterId::ODHA: return {p(L::C2_DENS), ha(), below(ha(), p(L::C2_DENS))};
  }
  return {};
}

}  // namespace sagitta::core
