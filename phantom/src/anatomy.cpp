// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/phantom/anatomy.hpp"

#include <cmath>

#include "anatomy_parts.hpp"

namespace sagitta::phantom {
namespace detail {

std::vector<Vec> bezier(Vec p0, Vec p1, Vec p2, int samples) {
  std::vector<Vec> out;
  for (int i = 0; i <= samples; ++i) {
    const double t = static_cast<double>(i) / samples;
    out.push_back((1 - t) * (1 - t) * p0 + 2 * (1 - t) * t * p1 + t * t * p2);
  }
  return out;
}

std::vector<Vec> arc(Vec centre, double radius, double fromDeg, double toDeg, int samples) {
  std::vector<Vec> out;
  for (int i = 0; i <= samples; ++i) {
    const double a = (fromDeg + (toDeg - fromDeg) * i / samples) * kRadPerDeg;
    out.push_back(centre + radius * Vec{std::cos(a), std::sin(a)});
  }
  return out;
}

void addTube(Scene& scene, const std::vector<Vec>& line, double width, double fillValue, double edgeValue,
             double edgeWidth) {
  scene.strokes.push_back({line, width, fillValue, Layer::Trabecular});
  // Edge lines offset by the local normal: the cortex seen tangentially.
  for (const double side : {-1.0, 1.0}) {
    std::vector<Vec> edge;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const Vec d = line[std::min(i + 1, line.size() - 1)] - line[i == 0 ? 0 : i - 1];
      const double n = norm(d);
      if (n <= 0.0) continue;
      edge.push_back(line[i] + side * (0.5 * width - 0.5 * edgeWidth) / n * Vec{-d.y, d.x});
    }
    scene.strokes.push_back({edge, edgeWidth, edgeValue, Layer::Cortical});
  }
}

}  // namespace detail

Scene buildScene(const PatientSpec& patient, const SpineGeometry& spine, Rng& rng) {
  Scene scene;
  detail::Context context{patient, spine, rng, scene};
  detail::addTrunk(context);
  detail::addSpine(context);
  detail::addPelvis(context);
  detail::addImplants(context);
  detail::addMarkers(context);
  scene.exposurePoint = spine.hipAxis;
  return scene;
}

}  // namespace sagitta::phantom
