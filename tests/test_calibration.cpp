// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include "sagitta/core/calibration.hpp"
#include "sagitta/core/errors.hpp"

namespace sagitta::core {
namespace {

TEST(Calibration, PixelSpacingTakesPrecedence) {
  DicomCalibrationAttributes a;
  a.pixelSpacing = "0.148\\0.150";
  a.imagerPixelSpacing = "0.2\\0.2";
  a.estimatedMagnificationFactor = "1.2";
  const auto c = calibrationFromDicom(a);
  EXPECT_EQ(c.kind, CalibrationKind::PixelSpacing);
  EXPECT_DOUBLE_EQ(c.rowSpacingMm, 0.148);
  EXPECT_DOUBLE_EQ(c.columnSpacingMm, 0.150);
  EXPECT_TRUE(c.calibrated());
  EXPECT_EQ(calibrationKey(c.kind), "pixel_spacing");
}

TEST(Calibration, PixelSpacingCalibrationTypeIsReported) {
  DicomCalibrationAttributes a;
  a.pixelSpacing = " 0.1 \\ 0.1 ";
  a.pixelSpacingCalibrationType = "GEOMETRY";
  const auto c = calibrationFromDicom(a);
  EXPECT_NE(c.note.find("GEOMETRY"), std::string::npos);
}

TEST(Calibration, ZeroPixelSpacingFallsBackToImagerPixelSpacingWithFactor) {
  DicomCalibrationAttributes a;
  a.pixelSpacing = "0\\0";
  a.imagerPixelSpacing = "0.24\\0.18";
  a.estimatedMagnificationFactor = "1.2";
  const auto c = calibrationFromDicom(a);
  EXPECT_EQ(c.kind, CalibrationKind::ImagerPixelSpacingMagnified);
  EXPECT_DOUBLE_EQ(c.rowSpacingMm, 0.2);
  EXPECT_DOUBLE_EQ(c.columnSpacingMm, 0.15);
  ASSERT_TRUE(c.magnificationFactor.has_value());
  EXPECT_DOUBLE_EQ(*c.magnificationFactor, 1.2);
}

TEST(Calibration, ImagerPixelSpacingWithoutFactorSaysDetectorPlane) {
  DicomCalibrationAttributes a;
  a.imagerPixelSpacing = "0.2\\0.2";
  const auto c = calibrationFromDicom(a);
  EXPECT_EQ(c.kind, CalibrationKind::ImagerPixelSpacing);
  EXPECT_DOUBLE_EQ(c.rowSpacingMm, 0.2);
  EXPECT_NE(c.note.find("detector plane"), std::string::npos);
}

TEST(Calibration, NothingMeansUncalibrated) {
  const auto c = calibrationFromDicom({});
  EXPECT_EQ(c.kind, CalibrationKind::None);
  EXPECT_FALSE(c.calibrated());
  EXPECT_DOUBLE_EQ(c.rowSpacingMm, 1.0);
  DicomCalibrationAttributes empty;
  empty.pixelSpacing = "";
  empty.imagerPixelSpacing = "0\\0";
  EXPECT_EQ(calibrationFromDicom(empty).kind, CalibrationKind::None);
}

TEST(Calibration, MalformedOrNegativeValuesAreErrorsNotFallbacks) {
  for (const char* bad : {"abc", "0.1", "0.1\\0.1\\0.1", "-0.1\\0.1", "0.1\\", "1e999\\1", "0.1\\0"}) {
    DicomCalibrationAttributes a;
    a.pixelSpacing = bad;
    a.imagerPixelSpacing = "0.2\\0.2";
    EXPECT_THROW(calibrationFromDicom(a), InvalidCalibration) << bad;
  }
  for (const char* bad : {"0", "-1.1", "x", "1.1\\1.2"}) {
    DicomCalibrationAttributes a;
    a.imagerPixelSpacing = "0.2\\0.2";
    a.estimatedMagnificationFactor = bad;
    EXPECT_THROW(calibrationFromDicom(a), InvalidCalibration) << bad;
  }
}

TEST(Calibration, FromSpacingValidates) {
  EXPECT_THROW(Calibration::fromSpacing(CalibrationKind::PixelSpacing, 0.0, 0.1), InvalidCalibration);
  EXPECT_THROW(Calibration::fromSpacing(CalibrationKind::PixelSpacing, 0.1, -0.1), InvalidCalibration);
  EXPECT_FALSE(Calibration::fromSpacing(CalibrationKind::None, 5, 5).calibrated());
}

TEST(Calibration, KeysRoundTrip) {
  for (auto kind : {CalibrationKind::PixelSpacing, CalibrationKind::ImagerPixelSpacing,
                    CalibrationKind::ImagerPixelSpacingMagnified, CalibrationKind::None}) {
    EXPECT_EQ(calibrationFromKey(calibrationKey(kind)), kind);
  }
  EXPECT_FALSE(calibrationFromKey("fiducial").has_value());
}

}  // namespace
}  // namespace sagitta::core
