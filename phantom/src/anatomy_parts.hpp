// SPDX-License-Identifier: GPL-3.0-or-later
// Internal: the parts of the phantom anatomy, each adding primitives to a Scene.
#pragma once

#include <vector>

#include "sagitta/phantom/patient.hpp"
#include "sagitta/phantom/rng.hpp"
#include "sagitta/phantom/scene.hpp"
#include "sagitta/phantom/spine_geometry.hpp"

namespace sagitta::phantom::detail {

// A local frame: a = anterior axis, u = cranial axis (both unit, perpendicular).
struct Frame {
  Vec origin, a, u;
  Vec at(double anterior, double up) const { return origin + anterior * a + up * u; }
  std::vector<Vec> at(const std::vector<Vec>& local, double scale = 1.0) const {
    std::vector<Vec> out;
    out.reserve(local.size());
    for (const auto& p : local) out.push_back(at(scale * p.x, scale * p.y));
    return out;
  }
};

struct Context {
  const PatientSpec& patient;
  const SpineGeometry& spine;
  Rng& rng;
  Scene& scene;
};

// A band with bright cortical edges (ribs, long bones): fill plus two edge lines.
void addTube(Scene& scene, const std::vector<Vec>& centreLine, double width, double fillValue, double edgeValue,
             double edgeWidth = 1.2);
std::vector<Vec> bezier(Vec p0, Vec p1, Vec p2, int samples);
std::vector<Vec> arc(Vec centre, double radius, double fromDeg, double toDeg, int samples);

void addSpine(Context& c);      // bodies, posterior elements, discs, dens, C1, skull, sacrum
void addTrunk(Context& c);      // envelope, lungs, heart, ribs, scapulae, arms, gas
void addPelvis(Context& c);     // ilia, acetabula, ischia, pubis, femurs, hip prosthesis
void addImplants(Context& c);   // pedicle screws, rods, cages
void addMarkers(Context& c);    // side marker and ruler

}  // namespace sagitta::phantom::detail
