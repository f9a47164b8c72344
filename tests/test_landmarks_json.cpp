// SPDX-License-Identifier: GPL-3.0-or-later
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "sagitta/core/errors.hpp"
#include "sagitta/core/landmarks_json.hpp"

namespace sagitta::core {
namespace {

const std::string kValid = R"({
  "image": {"columns": 3000, "rows": 7200, "pixel_spacing_mm": [0.148, 0.15], "calibration": "pixel_spacing"},
  "landmarks": [
    {"id": "C2_DENS", "x": 1510.25, "y": 402.5},
    {"id": "C2_AI", "x": 1555.0, "y": 610.75, "sigma_mm": 0.9}
  ]
})";

TEST(LandmarksJson, ParsesTheFormatsMdExample) {
  const auto file = parseLandmarksJson(kValid);
  EXPECT_EQ(file.image.columns, 3000);
  EXPECT_EQ(file.image.rows, 7200);
  EXPECT_EQ(file.image.calibration.kind, CalibrationKind::PixelSpacing);
  EXPECT_DOUBLE_EQ(file.image.calibration.rowSpacingMm, 0.148);
  EXPECT_DOUBLE_EQ(file.image.calibration.columnSpacingMm, 0.15);
  EXPECT_EQ(file.landmarks.size(), 2U);
  EXPECT_DOUBLE_EQ(file.landmarks.at(LandmarkId::C2_DENS).x, 1510.25);
  EXPECT_FALSE(file.landmarks.at(LandmarkId::C2_DENS).sigmaMm.has_value());
  EXPECT_DOUBLE_EQ(*file.landmarks.at(LandmarkId::C2_AI).sigmaMm, 0.9);
}

TEST(LandmarksJson, RoundTrips) {
  const auto file = parseLandmarksJson(kValid);
  const auto again = parseLandmarksJson(landmarksToJson(file));
  EXPECT_EQ(again.image.columns, file.image.columns);
  EXPECT_EQ(again.image.calibration.kind, file.image.calibration.kind);
  EXPECT_DOUBLE_EQ(again.landmarks.at(LandmarkId::C2_AI).y, 610.75);
  EXPECT_DOUBLE_EQ(*again.landmarks.at(LandmarkId::C2_AI).sigmaMm, 0.9);
}

TEST(LandmarksJson, ImageIsOptionalAndNullSpacingIsUncalibrated) {
  EXPECT_FALSE(parseLandmarksJson(R"({"landmarks": []})").image.calibration.calibrated());
  const auto file = parseLandmarksJson(
      R"({"image": {"columns": 10, "rows": 10, "pixel_spacing_mm": null, "calibration": "none"}, "landmarks": []})");
  EXPECT_EQ(file.image.calibration.kind, CalibrationKind::None);
}

struct BadCase {
  const char* name;
  const char* json;
  const char* reason;  // a fragment of the expected one-line reason
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class BadLandmarksJson : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadLandmarksJson, IsRejectedWithAReason) {
  const auto& c = GetParam();
  try {
    parseLandmarksJson(c.json);
    FAIL() << "accepted: " << c.json;
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(c.reason), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "reason must be one line: " << what;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadLandmarksJson,
    ::testing::Values(
        BadCase{"NotJson", "{\"landmarks\": [", "invalid JSON"},
        BadCase{"Empty", "", "invalid JSON"},
        BadCase{"NaNLiteral", R"({"landmarks": [{"id": "S1_A", "x": NaN, "y": 1}]})", "invalid JSON"},
        BadCase{"Overflow", R"({"landmarks": [{"id": "S1_A", "x": 1e999, "y": 1}]})", "number overflow"},
        BadCase{"NotObject", "[1, 2]", "must be a JSON object"},
        BadCase{"NoLandmarks", R"({"image": {}})", "\"landmarks\" must be an array"},
        BadCase{"UnknownId", R"({"landmarks": [{"id": "S2_A", "x": 1, "y": 1}]})", "unknown landmark id \"S2_A\""},
        BadCase{"DuplicateId", R"({"landmarks": [{"id": "S1_A", "x": 1, "y": 1}, {"id": "S1_A", "x": 2, "y": 2}]})",
                "given twice"},
        BadCase{"StringCoordinate", R"({"landmarks": [{"id": "S1_A", "x": "1", "y": 1}]})", "must be a number"},
        BadCase{"MissingY", R"({"landmarks": [{"id": "S1_A", "x": 1}]})", "\"y\" missing"},
        BadCase{"IdNotString", R"({"landmarks": [{"id": 3, "x": 1, "y": 1}]})", ".id must be a string"},
        BadCase{"NegativeSigma", R"({"landmarks": [{"id": "S1_A", "x": 1, "y": 1, "sigma_mm": -1}]})",
                "sigma_mm must be >= 0"},
        BadCase{"OutsideImage",
                R"({"image": {"columns": 100, "rows": 100}, "landmarks": [{"id": "S1_A", "x": 150, "y": 1}]})",
                "lies outside the image"},
        BadCase{"NegativeCoordinate", R"({"landmarks": [{"id": "S1_A", "x": -3, "y": 1}]})", "outside the image"},
        BadCase{"ZeroSpacing", R"({"image": {"pixel_spacing_mm": [0, 0.1]}, "landmarks": []})", "must be > 0"},
        BadCase{"NegativeSpacing", R"({"image": {"pixel_spacing_mm": [0.1, -0.1]}, "landmarks": []})",
                "must be > 0"},
        BadCase{"OneSpacing", R"({"image": {"pixel_spacing_mm": [0.1]}, "landmarks": []})", "[row spacing"},
        BadCase{"UnknownCalibration", R"({"image": {"calibration": "ruler"}, "landmarks": []})", "is not one of"},
        BadCase{"CalibratedWithoutSpacing", R"({"image": {"calibration": "pixel_spacing"}, "landmarks": []})",
                "pixel_spacing_mm is missing"},
        BadCase{"NoneWithSpacing",
                R"({"image": {"calibration": "none", "pixel_spacing_mm": [0.1, 0.1]}, "landmarks": []})",
                "is \"none\" but"},
        BadCase{"BadColumns", R"({"image": {"columns": -5}, "landmarks": []})", "positive integer"}),
    [](const ::testing::TestParamInfo<BadCase>& param) { return std::string(param.param.name); });

}  // namespace
}  // namespace sagitta::core
