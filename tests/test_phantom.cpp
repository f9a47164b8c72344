// SPDX-License-Identifier: GPL-3.0-or-later
#include <cmath>
#include <set>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <gtest/gtest.h>

#include "sagitta/core/measurement.hpp"
#include "sagitta/phantom/anatomy.hpp"
#include "sagitta/phantom/generator.hpp"
#include "sagitta/phantom/optical.hpp"
#include "sagitta/phantom/truth_json.hpp"

namespace sagitta::phantom {
namespace {

using core::LandmarkId;
using core::ParameterId;

GeneratorOptions small(int rows = 256, const char* variety = "mixed") {
  GeneratorOptions options;
  options.rows = rows;
  options.varieties = VarietyPolicy::parse(variety);
  return options;
}

TEST(Phantom, SameSeedSameBytes) {
  const auto a = generateCase(42, 3, small());
  const auto b = generateCase(42, 3, small());
  ASSERT_EQ(a.pixels.size(), b.pixels.size());
  EXPECT_EQ(cv::norm(a.pixels, b.pixels, cv::NORM_INF), 0.0);
  EXPECT_EQ(truthToJson(a), truthToJson(b));
  const auto other = generateCase(42, 4, small());
  EXPECT_NE(truthToJson(a), truthToJson(other));
}

// The truth parameters (engine on the true landmarks) reproduce the sampled shape: the spine
// is stacked so that these angles are sums of the sampled pieces (tolerance: rounding only).
TEST(Phantom, TruthReproducesTheSampledShape) {
  for (int i = 0; i < 40; ++i) {
    SCOPED_TRACE(i);
    const auto c = generateCase(2026, i, small(128));
    const auto m = core::measure(c.truth.landmarks, c.truth.image.calibration);
    EXPECT_NEAR(*m[ParameterId::PI].value, c.patient.pelvicIncidence, 1e-6);
    EXPECT_NEAR(*m[ParameterId::PT].value, c.spine.pelvicTilt, 1e-6);
    EXPECT_NEAR(*m[ParameterId::SS].value, c.spine.sacralSlope, 1e-6);
    EXPECT_NEAR(*m[ParameterId::LL].value, c.patient.lumbarLordosis, 1e-6);
    EXPECT_NEAR(*m[ParameterId::GTK].value, c.patient.thoracicKyphosis, 1e-6);
    EXPECT_NEAR(*m[ParameterId::CL].value, c.spine.cervicalLordosis, 1e-6);
    EXPECT_NEAR(*m[ParameterId::SVA].value, c.spine.svaReached, 1e-6);  // png: patient-plane spacing
    EXPECT_EQ(m.facing, c.placement.sign > 0 ? core::Facing::Right : core::Facing::Left);
    // The balance target and the T1S - CL relation hold unless a physiological limit was hit.
    if (c.spine.pelvicTilt > -14.9 && c.spine.pelvicTilt < 54.9 && c.spine.sacralSlope > -4.9 &&
        c.spine.sacralSlope < 74.9) {
      EXPECT_NEAR(c.spine.svaReached, c.patient.svaTarget, 0.01);
    }
    if (c.spine.cervicalLordosis > -29.9 && c.spine.cervicalLordosis < 49.9) {
      EXPECT_NEAR(*m[ParameterId::T1S].value - *m[ParameterId::CL].value, c.patient.cervicalMismatch, 1e-6);
    }
  }
}

TEST(Phantom, NormalSpinesPassTheQualityChecks) {
  int clean = 0;
  for (int i = 0; i < 30; ++i) {
    const auto c = generateCase(99, i, small(128, "normal"));
    const auto m = core::measure(c.truth.landmarks, c.truth.image.calibration);
    if (m.warnings.empty()) ++clean;
    for (const auto& w : m.warnings) ADD_FAILURE() << "case " << i << ": " << w.message;
  }
  EXPECT_EQ(clean, 30);
}

// The proportion checks hold on every variety's truth (fractures, listhesis, degeneration,
// scoliosis, children): they catch a model's mislabelled levels, never a phantom's anatomy.
TEST(Phantom, EveryVarietyKeepsTheProportionsOfRealSpines) {
  for (int i = 0; i < 80; ++i) {
    const auto c = generateCase(880001, i, small(128, "mixed"));
    const auto m = core::measure(c.truth.landmarks, c.truth.image.calibration);
    for (const auto& w : m.warnings) {
      if (w.code == "centre_rhythm" || w.code == "endplate_proportion") ADD_FAILURE() << "case " << i << ": " << w.message;
    }
  }
}

// Landmarks lie on the rendered anatomy: body centres inside bright bodies, darker discs
// between them, femoral head centres inside the (bright) heads, corners on cortical rims.
TEST(Phantom, LandmarksLieOnTheRenderedAnatomy) {
  for (int i = 0; i < 6; ++i) {
    SCOPED_TRACE(i);
    const auto c = generateCase(11, i, small(1400, "normal"));
    const cv::Mat film = c.windowed8();
    auto at = [&](double x, double y) {
      cv::Mat patch = film(cv::Rect(static_cast<int>(x) - 2, static_cast<int>(y) - 2, 5, 5) &
                           cv::Rect(0, 0, film.cols, film.rows));
      return cv::mean(patch)[0];
    };
    const auto& centres = core::bodyCentres();
    double bodies = 0.0, discs = 0.0;
    int pairs = 0;
    for (std::size_t k = 6; k + 1 < centres.size(); ++k) {  // T1..L5: clear of the skull base
      const auto& upper = c.spine.vertebrae[k];
      const auto& lower = c.spine.vertebrae[k + 1];
      const auto bodyPx = c.placement.toPixel(upper.centre());
      const auto discPx = c.placement.toPixel(mid(mid(upper.inferiorPosterior, upper.inferiorAnterior),
                                                  mid(lower.superiorPosterior, lower.superiorAnterior)));
      bodies += at(bodyPx.x, bodyPx.y);
      discs += at(discPx.x, discPx.y);
      ++pairs;
    }
    EXPECT_GT(bodies / pairs, discs / pairs + 3.0) << "bodies " << bodies / pairs << " discs " << discs / pairs;
    // Femoral head centres are brighter than the soft tissue 1.6 radii anterior to them.
    for (const auto& [head, radius] : {std::pair{c.spine.headNear, c.spine.radiusNear}, std::pair{c.spine.headFar, c.spine.radiusFar}}) {
      const auto centre = c.placement.toPixel(head);
      const auto outside = c.placement.toPixel(head + Vec{1.6 * radius, 0.8 * radius});
      EXPECT_GT(at(centre.x, centre.y), at(outside.x, outside.y));
    }
  }
}

TEST(Phantom, CornersSitOnTheCorticalRim) {
  const auto c = generateCase(5, 0, small(2000, "normal"));
  const Scene scene = [&] {
    Rng rng(1);
    return buildScene(c.patient, c.spine, rng);
  }();
  Layers layers{cv::Mat::zeros(c.placement.rows, c.placement.columns, CV_32F),
                cv::Mat::zeros(c.placement.rows, c.placement.columns, CV_32F)};
  rasterize(scene, c.placement, layers);
  int checked = 0;
  for (const auto& info : core::landmarkCatalogue()) {
    if (info.kind != core::LandmarkKind::AnteriorCorner && info.kind != core::LandmarkKind::PosteriorCorner) continue;
    const auto& p = *c.truth.landmarks.get(info.id);
    double rim = 0.0, trabecular = 0.0;
    for (int dy = -1; dy <= 1; ++dy) {
      for (int dx = -1; dx <= 1; ++dx) {
        const int x = static_cast<int>(p.x) + dx, y = static_cast<int>(p.y) + dy;
        rim = std::max(rim, static_cast<double>(layers.dense.at<float>(y, x)));
        trabecular = std::max(trabecular, static_cast<double>(layers.trabecular.at<float>(y, x)));
      }
    }
    EXPECT_GT(rim, 0.3) << info.key;         // on the cortical outline
    EXPECT_GT(trabecular, 0.05) << info.key;  // touching the body
    ++checked;
  }
  EXPECT_EQ(checked, 19);  // the 19 endplate corners of LANDMARKS.md
}

TEST(Phantom, FullSizeGeometryIsThatOfARealFilm) {
  GeneratorOptions options;
  options.varieties = VarietyPolicy::parse("normal");
  for (int i = 0; i < 3; ++i) {
    const auto c = generateCase(8, i, options);
    EXPECT_GE(c.placement.rows, 4000);
    EXPECT_LE(c.placement.rows, 8000);
    EXPECT_GE(c.placement.columns, 2000);
    EXPECT_LE(c.placement.columns, 3500);
    EXPECT_GE(c.placement.rowSpacing, 0.1);
    EXPECT_LE(c.placement.rowSpacing, 0.2);
    EXPECT_EQ(c.pixels.type(), CV_16U);
    double lo = 0, hi = 0;
    cv::minMaxLoc(c.pixels, &lo, &hi);
    EXPECT_LE(hi, std::pow(2.0, c.bitsStored) - 1.0);
    EXPECT_GT(hi - lo, 100.0);
  }
}

TEST(Phantom, ForcedVarietiesAreApplied) {
  const auto c = generateCase(1, 0, small(128, "scoliosis,cage"));
  EXPECT_TRUE(c.patient.has(Variety::Scoliosis));
  EXPECT_TRUE(c.patient.has(Variety::Cage));
  EXPECT_TRUE(c.patient.has(Variety::Instrumentation));  // cages come with screws
  EXPECT_FALSE(c.patient.has(Variety::HipProsthesis));
  EXPECT_FALSE(c.patient.cageDiscs.empty());
  const auto n = generateCase(1, 0, small(128, "normal"));
  EXPECT_EQ(n.patient.varieties, 0U);
  EXPECT_THROW(VarietyPolicy::parse("scoliosis,unicorn"), std::invalid_argument);
}

TEST(Phantom, ChildrenHaveAnUnfusedSacrum) {
  for (int i = 0; i < 200; ++i) {
    const auto c = generateCase(3, i, small(64));
    if (c.patient.group != AgeGroup::Child) continue;
    const auto& s = c.spine.sacrum;
    ASSERT_EQ(s.size(), 5U);
    EXPECT_GT(norm(s[0].inferiorPosterior - s[1].superiorPosterior), 1.0);  // a cartilage gap
    return;
  }
  FAIL() << "no child in 200 cases";
}

TEST(Optical, PhotoSizeMasksAndLandmarks) {
  for (int i = 0; i < 5; ++i) {
    SCOPED_TRACE(i);
    const auto c = generateCase(17, i, small(1200));
    const Photo photo = photograph(c);
    const int longSide = std::max(photo.image.cols, photo.image.rows);
    const int shortSide = std::min(photo.image.cols, photo.image.rows);
    EXPECT_GE(longSide, 600);
    EXPECT_LE(longSide, 1384);
    EXPECT_GE(shortSide, 319);
    EXPECT_EQ(photo.image.type(), CV_8UC3);
    EXPECT_GE(photo.vertebrae.size(), 15U);
    for (const auto& [name, polygon] : photo.vertebrae) {
      ASSERT_EQ(polygon.size(), 4U) << name;
      for (const auto& p : polygon) {
        EXPECT_GE(p.x, 0.0);
        EXPECT_LE(p.x, photo.image.cols);
      }
    }
    // The homography maps the film's L3 centre inside the photo's L3 polygon.
    const auto l3 = c.truth.landmarks.at(LandmarkId::L3_C);
    const cv::Vec3d q = photo.homography * cv::Vec3d(l3.x, l3.y, 1.0);
    const cv::Point2f inPhoto(static_cast<float>(q[0] / q[2]), static_cast<float>(q[1] / q[2]));
    std::vector<cv::Point2f> polygon;
    for (const auto& p : photo.vertebrae.at("L3")) polygon.emplace_back(static_cast<float>(p.x), static_cast<float>(p.y));
    EXPECT_GT(cv::pointPolygonTest(polygon, inPhoto, false), 0.0);
  }
}

}  // namespace
}  // namespace sagitta::phantom
