// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/phantom/generator.hpp"

#include <algorithm>
#include <cmath>

#include "sagitta/core/landmark_catalogue.hpp"
#include "sagitta/phantom/anatomy.hpp"
#include "sagitta/phantom/image_formation.hpp"

namespace sagitta::phantom {
namespace {

Placement choosePlacement(const PatientSpec& patient, const SpineGeometry& spine, const GeneratorOptions& options,
                          Rng& rng) {
  const double size = patient.size;
  const double top = spine.densTip.y + rng.uniform(40.0, 140.0) * size;
  const double bottom = spine.hipAxis.y - rng.uniform(110.0, 250.0) * size;
  const double height = top - bottom;
  double centreX = 0.0;
  for (const auto& v : spine.vertebrae) centreX += v.centre().x;
  centreX = centreX / kVertebraCount + 40.0 * size + rng.normal(0.0, 15.0);

  Placement p;
  p.sign = rng.chance(0.5) ? 1.0 : -1.0;
  double width = rng.uniform(300.0, 460.0) * std::max(size, 0.75);
  double spacing = 0.0;
  if (options.rows > 0) {
    p.rows = options.rows;
    spacing = height / p.rows;
    p.columns = std::max(16, static_cast<int>(std::lround(width / spacing)));
  } else {
    spacing = std::clamp(height / rng.uniform(5000.0, 8000.0), 0.1, 0.2);
    spacing = std::round(spacing * 1e4) / 1e4;  // as a modality would state it
    p.rows = static_cast<int>(std::lround(height / spacing));
    p.columns = std::clamp(static_cast<int>(std::lround(width / spacing)), 2000, 3500);
  }
  width = p.columns * spacing;
  p.rowSpacing = p.columnSpacing = spacing;
  p.originY = top;
  p.originX = 0.5 * width - p.sign * centreX;
  return p;
}

}  // namespace

cv::Mat PhantomCase::windowed8() const {
  cv::Mat mono2 = pixels;
  const double maxValue = std::pow(2.0, bitsStored) - 1.0;
  double centre = windowCenter;
  if (photometric == Photometric::Monochrome1) {
    pixels.convertTo(mono2, CV_32F, -1.0, maxValue);
    centre = maxValue - windowCenter;
  }
  cv::Mat out;
  const double lo = centre - 0.5 * windowWidth;
  mono2.convertTo(out, CV_8U, 255.0 / windowWidth, -lo * 255.0 / windowWidth);
  return out;
}

std::map<std::string, std::vector<cv::Point2d>> PhantomCase::bodyOutlines() const {
  std::map<std::string, std::vector<cv::Point2d>> out;
  for (const auto& v : spine.vertebrae) {
    const auto key = core::landmarkKey(core::bodyCentres()[static_cast<std::size_t>(v.index)]);
    const std::string name(key.substr(0, key.find('_')));
    out[name] = {placement.toPixel(v.inferiorPosterior), placement.toPixel(v.inferiorAnterior),
                 placement.toPixel(v.superiorAnterior), placement.toPixel(v.superiorPosterior)};
  }
  if (!spine.sacrum.empty()) {
    const auto& s1 = spine.sacrum.front();
    out["S1"] = {placement.toPixel(s1.inferiorPosterior), placement.toPixel(s1.inferiorAnterior),
                 placement.toPixel(s1.superiorAnterior), placement.toPixel(s1.superiorPosterior)};
  }
  return out;
}

PhantomCase generateCase(std::uint64_t seed, int index, const GeneratorOptions& options) {
  PhantomCase c;
  c.seed = seed;
  c.index = index;
  Rng rng(mixSeed(seed ^ mixSeed(static_cast<std::uint64_t>(index) + 1U)));
  // Independent streams, so that e.g. rendering changes never alter the anatomy of a seed.
  Rng anatomyRng(rng.next()), sceneRng(rng.next()), imageRng(rng.next());
  c.patient = samplePatient(anatomyRng, options.varieties.forCase(index));
  c.spine = buildSpine(c.patient, anatomyRng);
  const Scene scene = buildScene(c.patient, c.spine, sceneRng);
  c.placement = choosePlacement(c.patient, c.spine, options, imageRng);

  const Exposure exposure = Exposure::sample(imageRng);
  c.stitchedFields = exposure.fields;
  const double bitsChoice = imageRng.uniform();
  c.bitsStored = bitsChoice < 0.4 ? 12 : bitsChoice < 0.7 ? 14 : 16;
  FormedImage formed = formImage(scene, c.placement, exposure, imageRng, c.bitsStored);
  c.windowCenter = formed.windowCenter;
  c.windowWidth = formed.windowWidth;
  c.photometric = imageRng.chance(0.4) ? Photometric::Monochrome1 : Photometric::Monochrome2;
  const double maxValue = std::pow(2.0, c.bitsStored) - 1.0;
  if (c.photometric == Photometric::Monochrome1) {
    formed.pixels.convertTo(c.pixels, CV_16U, -1.0, maxValue);
    c.windowCenter = maxValue - c.windowCenter;
  } else {
    c.pixels = formed.pixels;
  }
  c.magnification = std::round(imageRng.uniform(1.05, 1.2) * 1000.0) / 1000.0;
  const double style = imageRng.uniform();
  c.calibrationStyle = options.rows > 0 ? CalibrationStyle::PixelSpacing
                       : style < 0.5    ? CalibrationStyle::PixelSpacing
                       : style < 0.8    ? CalibrationStyle::ImagerMagnified
                                        : CalibrationStyle::ImagerOnly;

  // Truth: the landmarks in pixels, and the calibration a DICOM reader will derive.
  c.truth.image.columns = c.placement.columns;
  c.truth.image.rows = c.placement.rows;
  const double s = c.placement.rowSpacing;
  switch (c.calibrationStyle) {
    case CalibrationStyle::PixelSpacing:
      c.truth.image.calibration = core::Calibration::fromSpacing(core::CalibrationKind::PixelSpacing, s, s);
      break;
    case CalibrationStyle::ImagerMagnified:
      c.truth.image.calibration = core::Calibration::fromSpacing(core::CalibrationKind::ImagerPixelSpacingMagnified, s, s);
      break;
    case CalibrationStyle::ImagerOnly:
      c.truth.image.calibration = core::Calibration::fromSpacing(core::CalibrationKind::ImagerPixelSpacing,
                                                                 s * c.magnification, s * c.magnification);
      break;
  }
  const auto points = c.spine.landmarks();
  for (const auto& info : core::landmarkCatalogue()) {
    const cv::Point2d px = c.placement.toPixel(points[core::indexOf(info.id)]);
    c.truth.landmarks.set(info.id, {px.x, px.y, std::nullopt});
  }
  return c;
}

}  // namespace sagitta::phantom
