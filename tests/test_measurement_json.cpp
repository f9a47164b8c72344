// SPDX-License-Identifier: GPL-3.0-or-later
#include <nlohmann/json.hpp>
#include <gtest/gtest.h>

#include "sagitta/core/measurement_json.hpp"
#include "sagitta/core/measurement_table.hpp"
#include "support/reference_spine.hpp"

namespace sagitta::core {
namespace {

using sagitta::testing::calibrationFor;
using sagitta::testing::placeInImage;
using sagitta::testing::Pose;
using sagitta::testing::referenceSpine;

TEST(MeasurementJson, HasTheShapeOfFormatsMd) {
  const Pose pose{Facing::Left, 0.15, 0.15};
  auto set = placeInImage(referenceSpine(), pose);
  set.erase(LandmarkId::C2_AI);
  const auto json = nlohmann::json::parse(measurementToJson(measure(set, calibrationFor(pose))));
  EXPECT_EQ(json["calibration"], "pixel_spacing");
  EXPECT_EQ(json["facing"], "left");
  ASSERT_EQ(json["parameters"].size(), kParameterCount);
  for (const auto& info : parameterCatalogue()) EXPECT_TRUE(json["parameters"].contains(std::string(info.key)));
  EXPECT_DOUBLE_EQ(json["parameters"]["PI"]["value"].get<double>(), 55.3);
  EXPECT_EQ(json["parameters"]["PI"]["unit"], "deg");
  EXPECT_EQ(json["parameters"]["SVA"]["unit"], "mm");
  EXPECT_DOUBLE_EQ(json["parameters"]["BARREY"]["value"].get<double>(), 2.02);
  EXPECT_EQ(json["parameters"]["BARREY"]["unit"], "ratio");
  EXPECT_TRUE(json["parameters"]["CL"]["value"].is_null());
  EXPECT_EQ(json["parameters"]["CL"]["reason"], "landmark C2_AI missing");
  EXPECT_FALSE(json["parameters"]["PI"].contains("reason"));
  EXPECT_DOUBLE_EQ(json["indices"]["PI_LL"]["value"].get<double>(), 0.0);
  EXPECT_EQ(json["indices"]["schwab"]["SVA"]["grade"], "++");  // 101 mm
  EXPECT_EQ(json["indices"]["schwab"]["PT"]["grade"], "0");
  EXPECT_TRUE(json["warnings"].is_array());
}

TEST(MeasurementJson, UncalibratedLengthsArePixels) {
  const Pose pose{Facing::Right, 1.0, 1.0};
  const auto json = nlohmann::json::parse(
      measurementToJson(measure(placeInImage(referenceSpine(), pose), Calibration::uncalibrated())));
  EXPECT_EQ(json["calibration"], "none");
  EXPECT_TRUE(json["pixel_spacing_mm"].is_null());
  EXPECT_EQ(json["parameters"]["SVA"]["unit"], "px");
  EXPECT_EQ(json["parameters"]["cSVA"]["unit"], "px");
  EXPECT_TRUE(json["indices"]["schwab"]["SVA"]["grade"].is_null());
}

TEST(MeasurementJson, RoundingNeverPrintsNegativeZero) {
  EXPECT_EQ(roundForDisplay(-0.001, ParameterUnit::Degree), 0.0);
  EXPECT_FALSE(std::signbit(roundForDisplay(-0.001, ParameterUnit::Degree)));
  EXPECT_DOUBLE_EQ(roundForDisplay(2.0249, ParameterUnit::Ratio), 2.025);
  EXPECT_DOUBLE_EQ(roundForDisplay(36.869897, ParameterUnit::Degree), 36.87);
}

TEST(MeasurementTable, ShowsValuesUnitsPaperMeansAndReasons) {
  const Pose pose{Facing::Right, 0.15, 0.15};
  auto set = placeInImage(referenceSpine(), pose);
  set.erase(LandmarkId::T1_AS);
  const auto table = measurementToTable(measure(set, calibrationFor(pose)));
  EXPECT_NE(table.find("pelvic incidence"), std::string::npos);
  EXPECT_NE(table.find("55.3"), std::string::npos);
  EXPECT_NE(table.find("51.6 (13.1)"), std::string::npos);
  EXPECT_NE(table.find("landmark T1_AS missing"), std::string::npos);
  EXPECT_NE(table.find("SRS-Schwab"), std::string::npos);
}

}  // namespace
}  // namespace sagitta::core
