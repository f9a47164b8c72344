// SPDX-License-Identifier: GPL-3.0-or-later
// What the renderer draws: additive attenuation primitives in patient mm (x anterior, y up).
// A primitive's value is a line integral mu * path length across the beam (dimensionless):
// what it adds to -log(transmission) where it lies.
#pragma once

#include <string>
#include <vector>

#include "sagitta/phantom/spine_geometry.hpp"

namespace sagitta::phantom {

// Attenuation per mm at the effective energy of a lateral spine exposure (~65 keV), relative to
// the soft tissue the structure displaces. Sources: docs/PHANTOM.md ("Materials").
namespace mu {
inline constexpr double kSoftTissue = 0.020;
inline constexpr double kTrabecular = 0.011;  // times bone density
inline constexpr double kCortical = 0.040;
inline constexpr double kMetal = 0.30;        // titanium / cobalt-chrome mix, "bright as metal"
inline constexpr double kLungDeficit = -0.015;  // inflated lung replaces soft tissue
}  // namespace mu

// Trabecular bone is drawn on its own layer so that texture modulates it alone.
enum class Layer { Trabecular, Cortical, Metal };

struct Polygon {
  std::vector<Vec> points;
  double value;
  Layer layer;
};

struct Stroke {
  std::vector<Vec> points;
  double widthMm;
  double value;
  Layer layer;
  bool closed = false;
};

// A sphere (or spherical shell) seen in projection: value = muPerMm * chord length.
struct Sphere {
  Vec centre;
  double radius;
  double muPerMm;
  double shell = 0.0;  // > 0: hollow with this wall thickness (mm)
  Layer layer = Layer::Trabecular;
};

struct Label {
  std::string text;
  Vec position;  // bottom-left of the text, patient mm
  double heightMm;
  double value;
};

// The soft-tissue envelope, sampled along the body: at height y, skin from x = posterior to
// x = anterior with left-right width `width`. Lungs likewise, between apex and diaphragm.
struct EnvelopeRow {
  double y, posterior, anterior, width;
  double lungPosterior, lungAnterior, lungWidth;  // lungWidth 0 outside the thorax
};

struct Limb {  // a soft-tissue cylinder (upper arm), radius in mm
  Vec from, to;
  double radius;
};

struct GasBubble {
  Vec centre;
  double radius;
};

struct Heart {
  Vec centre;
  double radiusX, radiusY;
};

struct Scene {
  std::vector<Polygon> polygons;
  std::vector<Stroke> strokes;
  std::vector<Sphere> spheres;
  std::vector<Label> labels;
  std::vector<EnvelopeRow> envelope;  // sorted by decreasing y (head first)
  std::vector<Limb> limbs;
  std::vector<GasBubble> gas;
  Heart heart{};
  double top = 0.0, bottom = 0.0;      // y extent of the anatomy worth imaging
  Vec exposurePoint;                   // where the automatic exposure control measures (hips)
};

}  // namespace sagitta::phantom
