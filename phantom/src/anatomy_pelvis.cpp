// SPDX-License-Identifier: GPL-3.0-or-later
// Hemipelves (ilium, acetabular roof, ischium, pubis) rigid with the sacrum, proximal femurs,
// and a hip prosthesis. Each hemipelvis follows its own femoral head (projection offsets).
#include "anatomy_parts.hpp"

namespace sagitta::phantom::detail {
namespace {

void addHemipelvis(Context& c, Vec head, double headRadius, double scale) {
  const auto& p = c.patient;
  const auto& g = c.spine;
  const Vec s1m = mid(g.s1Posterior, g.s1Anterior);
  const Vec up = (1.0 / norm(s1m - g.hipAxis)) * (s1m - g.hipAxis);
  const Frame f{head, rotate(up, -90.0), up};
  const double k = p.size * scale;
  const double t = mu::kTrabecular * p.boneDensity;
  const std::vector<Vec> crest{{-72, 98}, {-55, 135}, {-15, 152}, {25, 132}, {52, 78}};
  std::vector<Vec> wing = crest;
  for (const Vec q : std::vector<Vec>{{42, 42}, {28, 24}, {-22, 26}, {-40, 38}, {-52, 58}, {-66, 80}}) wing.push_back(q);
  c.scene.polygons.push_back({f.at(wing, k), t * 10.0 * p.size, Layer::Trabecular});
  c.scene.strokes.push_back({f.at(crest, k), 4.5 * k, mu::kCortical * 16.0 * p.size, Layer::Cortical});
  c.scene.strokes.push_back({f.at({{-66, 80}, {-52, 58}, {-40, 38}, {-35, 15}}, k), 2.0 * k,
                             mu::kCortical * 10.0 * p.size, Layer::Cortical});
  // Iliopectineal line from the sacroiliac joint to the pubis.
  c.scene.strokes.push_back({f.at({{-48, 92}, {-25, 60}, {5, 30}, {35, 5}, {62, -28}}, k), 2.0 * k,
                             mu::kCortical * 12.0 * p.size, Layer::Cortical});
  // Acetabular roof (sourcil), concentric with the head.
  std::vector<Vec> roof;
  for (const auto& q : arc({0, 0}, headRadius / k + 2.5, 25.0, 165.0, 16)) roof.push_back(q);
  c.scene.strokes.push_back({f.at(roof, k), 3.0 * k, mu::kCortical * 20.0 * p.size, Layer::Cortical});
  const std::vector<Vec> ischium{{-20, 5}, {-42, 0}, {-52, -60}, {-38, -82}, {-20, -70}, {-12, -10}};
  c.scene.polygons.push_back({f.at(ischium, k), t * 24.0 * p.size, Layer::Trabecular});
  c.scene.strokes.push_back({f.at(ischium, k), 1.5 * k, mu::kCortical * 8.0 * p.size, Layer::Cortical, true});
  addTube(c.scene, f.at({{22, -8}, {48, -30}, {68, -42}}, k), 16.0 * k, t * 20.0, mu::kCortical * 8.0, 1.5 * k);
  addTube(c.scene, f.at({{68, -42}, {40, -70}, {-25, -80}}, k), 10.0 * k, t * 14.0, mu::kCortical * 6.0, 1.2 * k);
}

void addFemur(Context& c, Vec head, double r, bool prosthesis) {
  const auto& p = c.patient;
  const double t = mu::kTrabecular * p.boneDensity;
  const Vec neckDir = rotate(Vec{0.0, -1.0}, 25.0);  // down and anterior
  const Vec trochanter = head + r * Vec{-0.6, -1.9};
  const Vec shaftTop = head + r * Vec{-0.15, -2.3};
  const Vec shaftBottom = shaftTop + Vec{0.35 * r, -420.0 * p.size};
  if (prosthesis) {
    const double ball = std::min(r, 16.0);
    c.scene.spheres.push_back({head, ball, mu::kMetal, 0.0, Layer::Metal});
    c.scene.strokes.push_back({arc(head, r + 2.0, 10.0, 190.0, 20), 4.0, mu::kMetal * 6.0, Layer::Metal});
    const Vec neckEnd = head + 1.3 * r * neckDir;
    c.scene.polygons.push_back({{head + 5.0 * Vec{-neckDir.y, neckDir.x}, neckEnd + 8.0 * Vec{-1.0, 0.0},
                                 shaftTop + Vec{-7.0, -140.0}, shaftTop + Vec{3.0, -140.0},
                                 neckEnd + 8.0 * Vec{1.0, 0.0}, head - 5.0 * Vec{-neckDir.y, neckDir.x}},
                                mu::kMetal * 10.0, Layer::Metal});
  } else {
    c.scene.spheres.push_back({head, r, t * 1.0, 0.0, Layer::Trabecular});
    c.scene.spheres.push_back({head, r, mu::kCortical * 0.9, 1.2 * p.size, Layer::Cortical});
  }
  addTube(c.scene, {head, head + 0.7 * r * neckDir, head + 1.4 * r * neckDir}, 1.3 * r, t * 26.0,
          mu::kCortical * 8.0, 1.5 * p.size);
  c.scene.spheres.push_back({trochanter, 1.0 * r, t * 0.9, 0.0, Layer::Trabecular});
  c.scene.spheres.push_back({head + r * Vec{-0.45, -2.9}, 0.45 * r, t * 1.2, 0.0, Layer::Trabecular});
  addTube(c.scene, {shaftTop, mid(shaftTop, shaftBottom) + Vec{3.0, 0.0}, shaftBottom}, 1.25 * r, t * 10.0,
          mu::kCortical * 24.0, 5.0 * p.size);
}

}  // namespace

void addPelvis(Context& c) {
  const auto& g = c.spine;
  const auto& p = c.patient;
  addHemipelvis(c, g.headNear, g.radiusNear, 0.95);
  addHemipelvis(c, g.headFar, g.radiusFar, 1.055);
  addFemur(c, g.headNear, g.radiusNear, p.has(Variety::HipProsthesis) && p.prosthesisNear);
  addFemur(c, g.headFar, g.radiusFar, p.has(Variety::HipProsthesis) && !p.prosthesisNear);
}

}  // namespace sagitta::phantom::detail
