// SPDX-License-Identifier: GPL-3.0-or-later
// Vertebrae (bodies with cortical rims, posterior elements), dens, atlas, skull, sacrum.
#include <algorithm>

#include "anatomy_parts.hpp"

namespace sagitta::phantom::detail {
namespace {

constexpr int kC2 = 0, kC7 = 5, kT12 = 17, kL1 = 18;

// Body outline through the four landmark corners, with a concave anterior waist and slightly
// concave endplates (the corners themselves stay exactly on the outline).
std::vector<Vec> bodyOutline(const Vertebra& v, double size) {
  const Vec pi = v.inferiorPosterior, ai = v.inferiorAnterior, as = v.superiorAnterior, ps = v.superiorPosterior;
  const Vec inwardAnterior = -1.0 * along(0.5 * (v.inferiorInclination + v.superiorInclination));
  const double waist = 1.4 * size, cup = 0.7 * size;
  return {pi,
          mid(pi, ai) + cup * cranial(v.inferiorInclination),
          ai,
          mid(ai, as) + waist * inwardAnterior,
          as,
          mid(as, ps) - cup * cranial(v.superiorInclination),
          ps,
          mid(ps, pi) + 0.5 * waist * (-1.0 * inwardAnterior)};
}

void addBody(Context& c, const Vertebra& v, Vec shift, double weight) {
  const auto& p = c.patient;
  const double density = p.boneDensity;
  auto moved = [&](std::vector<Vec> points) {
    for (auto& q : points) q = q + shift;
    return points;
  };
  const double lateral = v.lateralWidth;
  c.scene.polygons.push_back({moved(bodyOutline(v, p.size)), weight * mu::kTrabecular * density * lateral * 0.85,
                              Layer::Trabecular});
  const double sclerosis = 1.0 + 0.8 * p.degeneration;
  const double cortex = (p.has(Variety::Osteoporosis) ? 0.55 : 0.9) * std::max(0.6, p.size);
  const double endplate = weight * mu::kCortical * lateral * 0.5 * sclerosis * std::min(1.0, density + 0.2);
  const double wall = weight * mu::kCortical * 13.0 * p.size * std::min(1.0, density + 0.2);
  const auto outline = moved(bodyOutline(v, p.size));
  c.scene.strokes.push_back({{outline[0], outline[1], outline[2]}, cortex, endplate, Layer::Cortical});
  c.scene.strokes.push_back({{outline[4], outline[5], outline[6]}, cortex, endplate, Layer::Cortical});
  c.scene.strokes.push_back({{outline[2], outline[3], outline[4]}, cortex, wall, Layer::Cortical});
  c.scene.strokes.push_back({{outline[6], outline[7], outline[0]}, cortex, wall, Layer::Cortical});
}

// Posterior elements in the vertebra's frame: a = anterior, u = cranial, origin at the
// middle of the posterior wall. Local coordinates below are fractions of depth D and height H.
void addPosteriorElements(Context& c, const Vertebra& v, Vec shift, double weight) {
  const auto& p = c.patient;
  const double e = 0.5 * (v.inferiorInclination + v.superiorInclination);
  const Frame f{mid(v.inferiorPosterior, v.superiorPosterior) + shift, along(e), cranial(e)};
  const double D = v.depth, H = norm(v.superiorPosterior - v.inferiorPosterior);
  const double t = mu::kTrabecular * p.boneDensity * weight;
  const double rim = mu::kCortical * weight;
  auto poly = [&](std::vector<Vec> local, double value) {
    for (auto& q : local) q = Vec{-q.x * D, q.y * H};  // x: fraction of D backwards
    c.scene.polygons.push_back({f.at(local), value, Layer::Trabecular});
  };
  auto spinous = [&](Vec startLocal, double length, double downDeg, double thickness, double lateral) {
    const Vec start = f.at(-startLocal.x * D, startLocal.y * H);
    const Vec dir = rotate(-1.0 * f.a, downDeg);  // backwards, turned downwards
    const Vec end = start + length * dir;
    addTube(c.scene, {start, mid(start, end), end}, thickness, t * lateral, rim * 5.0, 0.8 * p.size);
  };
  if (v.index <= kC7) {
    poly({{0, 0.35}, {0.5, 0.3}, {0.5, -0.2}, {0, -0.15}}, t * 14.0);               // pedicles
    poly({{0.45, 0.65}, {0.95, 0.55}, {0.95, -0.6}, {0.45, -0.5}}, t * 24.0);      // articular pillars
    const double length = (v.index == kC2 ? 1.9 : v.index == kC7 ? 2.1 : 1.2) * D;
    spinous({0.9, 0.0}, length, 18.0, 0.45 * H, 9.0 * p.size);
  } else if (v.index <= kT12) {
    poly({{0, 0.45}, {0.45, 0.4}, {0.45, -0.05}, {0, 0.0}}, t * 16.0);
    poly({{0.4, 0.75}, {0.6, 0.7}, {0.6, -0.7}, {0.4, -0.6}}, t * 20.0);
    c.scene.spheres.push_back({f.at(-0.45 * D, 0.3 * H), 0.22 * D, t * 1.2, 0.0, Layer::Trabecular});  // transverse
    spinous({0.55, 0.0}, 1.3 * D, 55.0, 0.35 * H, 8.0 * p.size);
  } else {
    poly({{0, 0.6}, {0.4, 0.55}, {0.4, 0.05}, {0, 0.1}}, t * 20.0);
    if (v.index == p.slipLevel && p.group != AgeGroup::Elderly) {  // isthmic: a gap in the pars
      poly({{0.35, 0.85}, {0.6, 0.8}, {0.6, 0.2}, {0.35, 0.25}}, t * 24.0);
      poly({{0.35, 0.05}, {0.6, 0.0}, {0.6, -0.55}, {0.35, -0.45}}, t * 24.0);
    } else {
      poly({{0.35, 0.85}, {0.6, 0.8}, {0.6, -0.55}, {0.35, -0.45}}, t * 24.0);
    }
    c.scene.spheres.push_back({f.at(-0.3 * D, 0.5 * H), 0.15 * D, t * 1.5, 0.0, Layer::Trabecular});
    poly({{0.55, 0.45}, {1.3, 0.35}, {1.3, -0.1}, {0.55, -0.1}}, t * 9.0);  // broad spinous process
  }
}

void addVertebra(Context& c, const Vertebra& v) {
  // Scoliosis seen laterally: the two halves of a rotated, tilted body project apart; draw two
  // half-weight copies (doubled endplates and walls). The landmarks stay at their mean.
  const double dz = 0.5 * v.lateralWidth * std::tan(v.coronalTilt * kRadPerDeg);
  const double dx = 0.5 * v.lateralWidth * std::sin(v.axialRotation * kRadPerDeg);
  if (std::abs(dz) + std::abs(dx) < 0.2) {
    addBody(c, v, {0, 0}, 1.0);
    addPosteriorElements(c, v, {0, 0}, 1.0);
    return;
  }
  for (const double s : {-1.0, 1.0}) {
    addBody(c, v, {s * dx, s * dz}, 0.5);
    addPosteriorElements(c, v, {s * 2.0 * dx, s * dz}, 0.5);
  }
}

void addDegeneration(Context& c, const Vertebra& upper, const Vertebra* lower) {
  const auto& p = c.patient;
  if (p.degeneration <= 0.05) return;
  const bool eligible = upper.index >= kL1 - 2 || (upper.index >= 2 && upper.index <= kC7);
  if (!eligible) return;
  const double t = mu::kTrabecular * p.boneDensity * upper.lateralWidth * 0.7;
  // Anterior osteophytes growing from the corners towards the disc.
  if (c.rng.chance(p.degeneration)) {
    const Vec ai = upper.inferiorAnterior;
    const double e = upper.inferiorInclination;
    const double len = c.rng.uniform(2.0, 6.0) * p.size;
    c.scene.polygons.push_back(
        {{ai, ai + 2.5 * p.size * along(e), ai + 1.5 * p.size * along(e) - len * cranial(e), ai - 1.0 * cranial(e)},
         t, Layer::Trabecular});
  }
  if (lower != nullptr && c.rng.chance(p.degeneration)) {
    const Vec as = lower->superiorAnterior;
    const double e = lower->superiorInclination;
    const double len = c.rng.uniform(2.0, 6.0) * p.size;
    c.scene.polygons.push_back(
        {{as, as + 2.5 * p.size * along(e), as + 1.5 * p.size * along(e) + len * cranial(e), as + 1.0 * cranial(e)},
         t, Layer::Trabecular});
  }
  // Vacuum phenomenon: gas in a degenerated lumbar disc.
  if (lower != nullptr && upper.index >= kL1 - 1 && c.rng.chance(0.5 * p.degeneration)) {
    const Vec a = mid(upper.inferiorPosterior, lower->superiorPosterior);
    const Vec b = mid(upper.inferiorAnterior, lower->superiorAnterior);
    c.scene.strokes.push_back({{a + 0.25 * (b - a), b - 0.2 * (b - a)}, 1.2 * p.size,
                               -mu::kSoftTissue * upper.lateralWidth * 0.5, Layer::Cortical});
  }
}

void addCraniocervical(Context& c) {
  const auto& p = c.patient;
  const auto& g = c.spine;
  const auto& c2 = g.vertebrae[kC2];
  const double e = c2.superiorInclination;
  const Vec base = g.densCentre - 7.5 * p.size * rotate(cranial(e), 12.0);
  const double r = g.densRadius;
  const Vec axis = rotate(cranial(e), 12.0);
  const Vec side = along(e);
  const std::vector<Vec> dens{base - r * side, base + r * side, g.densCentre + 0.95 * r * side,
                              g.densTip - 0.4 * r * axis + 0.6 * r * side, g.densTip,
                              g.densTip - 0.4 * r * axis - 0.6 * r * side, g.densCentre - 0.95 * r * side};
  c.scene.polygons.push_back({dens, mu::kTrabecular * p.boneDensity * 10.0 * p.size, Layer::Trabecular});
  c.scene.strokes.push_back({dens, 0.8 * p.size, mu::kCortical * 7.0 * p.size, Layer::Cortical, true});
  // Atlas: anterior arch (a ring in front of the dens) and posterior arch.
  c.scene.spheres.push_back({g.densCentre + (r + 6.0 * p.size) * side + 2.0 * p.size * axis, 5.0 * p.size,
                             mu::kCortical * 1.2, 1.5 * p.size, Layer::Cortical});
  const Vec arch0 = g.densCentre - (r + 9.0 * p.size) * side + 3.0 * p.size * axis;
  addTube(c.scene, {arch0, arch0 - 20.0 * p.size * side, arch0 - 38.0 * p.size * side - 3.0 * p.size * axis}, 7.0 * p.size,
          mu::kTrabecular * 9.0, mu::kCortical * 4.0, 0.8 * p.size);
  // Skull (a hollow shell, partly in the field), skull base and mandible.
  const Vec skull = g.densTip + p.size * Vec{8.0, 78.0};
  c.scene.spheres.push_back({skull, 92.0 * p.size, mu::kCortical, 6.5 * p.size, Layer::Cortical});
  c.scene.spheres.push_back({g.densTip + p.size * Vec{-22.0, 30.0}, 17.0 * p.size, mu::kCortical * 0.9, 0.0,
                             Layer::Cortical});  // petrous / mastoid
  const Vec angle = g.densCentre + p.size * Vec{38.0, -22.0};
  addTube(c.scene,
          {g.densCentre + p.size * Vec{30.0, 28.0}, angle, angle + p.size * Vec{40.0, -12.0},
           angle + p.size * Vec{85.0, -10.0}},
          11.0 * p.size, mu::kCortical * 9.0, mu::kCortical * 10.0, 1.5 * p.size);
  c.scene.polygons.push_back({{angle + p.size * Vec{55.0, -2.0}, angle + p.size * Vec{88.0, 0.0},
                               angle + p.size * Vec{90.0, 22.0}, angle + p.size * Vec{55.0, 20.0}},
                              mu::kCortical * 12.0, Layer::Cortical});  // teeth
}

void addSacrum(Context& c) {
  const auto& p = c.patient;
  const auto& g = c.spine;
  const double t = mu::kTrabecular * p.boneDensity;
  const std::vector<double> lateral{75.0, 60.0, 45.0, 35.0, 28.0};
  std::vector<Vec> anteriorSurface, posteriorSurface;
  for (std::size_t k = 0; k < g.sacrum.size(); ++k) {
    const auto& s = g.sacrum[k];
    c.scene.polygons.push_back({{s.superiorPosterior, s.superiorAnterior, s.inferiorAnterior, s.inferiorPosterior},
                                t * lateral[k] * p.size, Layer::Trabecular});
    anteriorSurface.push_back(s.superiorAnterior);
    anteriorSurface.push_back(s.inferiorAnterior);
    posteriorSurface.push_back(s.superiorPosterior);
    posteriorSurface.push_back(s.inferiorPosterior);
    if (p.group == AgeGroup::Child) {  // unfused: each segment has its own cortical outline
      c.scene.strokes.push_back({{s.superiorPosterior, s.superiorAnterior, s.inferiorAnterior, s.inferiorPosterior},
                                 0.8 * p.size, mu::kCortical * 8.0 * p.size, Layer::Cortical, true});
    }
    // Dorsal sacrum behind the canal.
    const Vec back = -1.0 * along(std::atan2(s.superiorAnterior.y - s.superiorPosterior.y,
                                             s.superiorAnterior.x - s.superiorPosterior.x) / kRadPerDeg);
    if (k < 4) {
      const double canal = 10.0 * p.size * (1.0 - 0.2 * static_cast<double>(k));
      const double thick = 14.0 * p.size;
      c.scene.polygons.push_back({{s.superiorPosterior + canal * back, s.superiorPosterior + (canal + thick) * back,
                                   s.inferiorPosterior + (canal + thick) * back, s.inferiorPosterior + canal * back},
                                  t * 22.0, Layer::Trabecular});
    }
  }
  const double sclerosis = 1.0 + 0.8 * p.degeneration;
  c.scene.strokes.push_back({{g.s1Posterior, mid(g.s1Posterior, g.s1Anterior) - 0.6 * p.size * cranial(-g.sacralSlope),
                              g.s1Anterior},
                             0.9 * p.size, mu::kCortical * 30.0 * p.size * sclerosis, Layer::Cortical});
  c.scene.strokes.push_back({anteriorSurface, 0.9 * p.size, mu::kCortical * 14.0 * p.size, Layer::Cortical});
  c.scene.strokes.push_back({posteriorSurface, 0.9 * p.size, mu::kCortical * 10.0 * p.size, Layer::Cortical});
  for (const auto& s : g.coccyx) {
    c.scene.polygons.push_back({{s.superiorPosterior, s.superiorAnterior, s.inferiorAnterior, s.inferiorPosterior},
                                t * 16.0 * p.size, Layer::Trabecular});
  }
}

}  // namespace

void addSpine(Context& c) {
  const auto& vertebrae = c.spine.vertebrae;
  for (std::size_t i = 0; i < vertebrae.size(); ++i) {
    addVertebra(c, vertebrae[i]);
    addDegeneration(c, vertebrae[i], i + 1 < vertebrae.size() ? &vertebrae[i + 1] : nullptr);
  }
  addCraniocervical(c);
  addSacrum(c);
}

}  // namespace sagitta::phantom::detail
