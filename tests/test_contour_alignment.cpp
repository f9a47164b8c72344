// SPDX-License-Identifier: GPL-3.0-or-later
// seeds/004's measurement from vertebra contours (core/contour_alignment.hpp): the rectangle,
// the endplates, the slope-change noise rule, and TK / LL / SS on optical phantoms' true masks.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "sagitta/core/contour_alignment.hpp"
#include "sagitta/phantom/generator.hpp"
#include "sagitta/phantom/optical.hpp"

namespace sagitta::core {
namespace {

std::vector<Vec2> rotatedBox(Vec2 centre, double w, double h, double degrees) {
  const double a = degrees * M_PI / 180.0, c = std::cos(a), s = std::sin(a);
  std::vector<Vec2> points;
  for (const auto& [x, y] : std::vector<std::pair<double, double>>{{-w / 2, -h / 2}, {w / 2, -h / 2}, {w / 2, h / 2}, {-w / 2, h / 2}}) {
    points.push_back({centre.x + c * x - s * y, centre.y + s * x + c * y});
  }
  return points;
}

double area(const std::array<Vec2, 4>& r) {
  return length(r[1] - r[0]) * length(r[2] - r[1]);
}

TEST(ContourAlignment, TheMinimumAreaRectangleOfARotatedBoxIsTheBox) {
  auto points = rotatedBox({100, 200}, 40, 30, 23.0);
  points.push_back({100, 200});  // inside: changes nothing
  points.push_back({105, 195});
  const auto r = minimumAreaRectangle(points);
  EXPECT_NEAR(area(r), 40.0 * 30.0, 1e-6);
}

// A straight column of boxes (endplates tilted by tilt degrees, stepping down the image).
std::vector<VertebraContour> column(const std::vector<std::pair<std::string, double>>& levels, double x0, double dx) {
  std::vector<VertebraContour> out;
  double y = 100;
  for (const auto& [level, tilt] : levels) {
    out.push_back({level, rotatedBox({x0, y}, 40, 28, tilt)});
    y += 40;
    x0 += dx;
  }
  return out;
}

TEST(ContourAlignment, AnglesBetweenTheEndplatesOfTheNamedLevels) {
  std::vector<std::pair<std::string, double>> levels;
  for (int t = 5; t <= 12; ++t) levels.push_back({"T" + std::to_string(t), t == 5 ? -20.0 : t == 12 ? 15.0 : 0.0});
  for (int l = 1; l <= 5; ++l) levels.push_back({"L" + std::to_string(l), l == 1 ? 10.0 : l == 5 ? -25.0 : 0.0});
  levels.push_back({"S1", 38.0});
  const auto m = measureFromContours(column(levels, 200, 3));
  ASSERT_TRUE(m.tk && m.ll && m.ss);
  EXPECT_NEAR(*m.tk, 35.0, 0.01);  // -20 to +15
  EXPECT_NEAR(*m.ll, 35.0, 0.01);  // +10 to -25
  EXPECT_NEAR(*m.ss, 38.0, 0.01);
  EXPECT_TRUE(m.removed.empty());
  EXPECT_TRUE(m.notMeasured.empty());
}

TEST(ContourAlignment, AMaskOffTheColumnIsRemovedByTheSlopeChangeRule) {
  std::vector<std::pair<std::string, double>> levels;
  for (int t = 5; t <= 12; ++t) levels.push_back({"T" + std::to_string(t), t == 5 ? -20.0 : t == 12 ? 15.0 : 0.0});
  auto contours = column(levels, 200, 2);
  const auto clean = measureFromContours(contours);
  // A stray mask beside T8, as a network's false positive would be.
  contours.push_back({"T8", rotatedBox({330, 235}, 40, 28, 0.0)});
  const auto noisy = measureFromContours(contours);
  ASSERT_EQ(noisy.removed.size(), 1U);
  EXPECT_EQ(noisy.removed[0], "T8");
  ASSERT_TRUE(clean.tk && noisy.tk);
  EXPECT_NEAR(*noisy.tk, *clean.tk, 1e-9);
  EXPECT_EQ(noisy.vertebrae.size(), clean.vertebrae.size());
  // A level that is not there is said, not guessed.
  EXPECT_FALSE(noisy.ll);
  EXPECT_EQ(noisy.notMeasured.at(0), "LL: L1 not found");
}

TEST(ContourAlignment, DegenerateOutlinesAreIgnoredNotMeasured) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto m = measureFromContours({{"T5", {{0, 0}, {10, 10}, {20, 20}}},         // no area
                                      {"T12", {{1, 1}, {2, 2}}},                    // two points
                                      {"L1", {{0, 0}, {nan, 5}, {10, 10}, {0, 10}}},  // not finite
                                      {"L5", {{0, 0}, {1e300, 0}, {1e300, 1e300}, {0, 1e300}}},  // overflows
                                      {"S1", {}}});
  EXPECT_TRUE(m.vertebrae.empty());
  EXPECT_FALSE(m.tk || m.ll || m.ss);
  EXPECT_EQ(m.notMeasured.size(), 3U);
  EXPECT_TRUE(measureFromContours({}).notMeasured.size() == 3U);
}

// The true masks of optical phantoms (photos of the film from a monitor or a light box, and
// screenshots). Mapped back onto the film (the photo's inverse homography), the method gives the
// film's angles exactly: the rectangle, the endplate band and the fit add no error of their own.
// In the photo, its perspective and its 1-5 deg rotation remain: TK and LL (differences of two
// endplates) keep only the perspective's error; SS, against the photo's horizontal, also the
// rotation, as the paper's method does.
TEST(ContourAlignment, OnOpticalPhantomsTheTrueMasksGiveTheFilmsAngles) {
  phantom::GeneratorOptions options;
  options.rows = 1200;
  double photoError[3] = {0, 0, 0}, filmWorst = 0;
  int counts[3] = {0, 0, 0};
  for (int index = 0; index < 10; ++index) {
    const auto film = phantom::generateCase(4040, index, options);
    const auto photo = phantom::photograph(film);
    const auto truth = nlohmann::json::parse(phantom::opticalTruthToJson(film, photo))["angles_deg"];
    const double want[3] = {std::abs(truth["TK_T5_T12"].get<double>()), std::abs(truth["LL_L1_L5"].get<double>()),
                            std::abs(truth["SS"].get<double>())};
    const cv::Matx33d toFilm = photo.homography.inv();
    std::vector<VertebraContour> inPhoto, onFilm;
    for (const auto& [level, polygon] : photo.vertebrae) {
      VertebraContour a{level, {}}, b{level, {}};
      for (const auto& p : polygon) {
        a.contour.push_back({p.x, p.y});
        const cv::Vec3d q = toFilm * cv::Vec3d(p.x, p.y, 1.0);
        b.contour.push_back({q[0] / q[2], q[1] / q[2]});
      }
      inPhoto.push_back(a);
      onFilm.push_back(b);
    }
    const auto m = measureFromContours(inPhoto), f = measureFromContours(onFilm);
    EXPECT_TRUE(m.removed.empty()) << "film " << index << ": true masks are never noise";
    const std::optional<double> got[3] = {m.tk, m.ll, m.ss}, exact[3] = {f.tk, f.ll, f.ss};
    for (int k = 0; k < 3; ++k) {
      EXPECT_EQ(got[k].has_value(), exact[k].has_value());
      if (exact[k]) filmWorst = std::max(filmWorst, std::abs(*exact[k] - want[k]));
      if (!got[k]) continue;
      photoError[k] += std::abs(*got[k] - want[k]);
      ++counts[k];
    }
  }
  for (int k = 0; k < 3; ++k) ASSERT_GE(counts[k], 8) << k;
  const double tk = photoError[0] / counts[0], ll = photoError[1] / counts[1], ss = photoError[2] / counts[2];
  std::printf("true masks: on the film worst %.3f deg; in the photos MAE TK %.2f, LL %.2f, SS %.2f deg\n", filmWorst, tk,
              ll, ss);
  EXPECT_LT(filmWorst, 0.05);
  EXPECT_LT(tk, 2.0);
  EXPECT_LT(ll, 2.0);
  EXPECT_LT(ss, 5.0);
}

}  // namespace
}  // namespace sagitta::core
