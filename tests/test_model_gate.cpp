// SPDX-License-Identifier: GPL-3.0-or-later
// The shipped bundle's out-of-distribution gate on real inputs: whole-spine phantoms pass;
// a chest film, a knee, a blank and a noise image, and python3-pydicom's sample images are
// refused with a reason, never measured.
#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "sagitta/dicom/input_image.hpp"
#include "sagitta/dicom/radiograph.hpp"
#include "sagitta/models/analysis.hpp"
#include "sagitta/models/inference_engine.hpp"
#include "sagitta/models/view_check.hpp"
#include "sagitta/phantom/generator.hpp"

namespace sagitta::models {
namespace {

namespace fs = std::filesystem;

InferenceEngine& shipped() {
  static InferenceEngine engine(SAGITTA_SHIPPED_BUNDLE, {"cpu", 2, 4});
  return engine;
}

const core::Calibration kSpacing = core::Calibration::fromSpacing(core::CalibrationKind::PixelSpacing, 0.15, 0.15);

bool mentions(const std::vector<std::string>& reasons, const std::string& fragment) {
  return std::any_of(reasons.begin(), reasons.end(), [&](const std::string& r) { return r.find(fragment) != std::string::npos; });
}

void expectRefused(const cv::Mat& image, const std::string& what) {
  const auto p = shipped().predict(image, kSpacing);
  EXPECT_FALSE(p.gate.accepted) << what << " was accepted (median spread " << p.medianSpreadInputPx << " px)";
  if (!p.gate.accepted) {
    EXPECT_FALSE(p.gate.reasons.empty()) << what;
  }
}

// A knee: femur and tibia shafts with condyles and a patella, soft tissue around.
cv::Mat knee(int rows, int cols) {
  cv::Mat image(rows, cols, CV_8U, cv::Scalar(20));
  cv::ellipse(image, {cols / 2, rows / 2}, {cols / 3, rows / 2}, 0, 0, 360, cv::Scalar(70), cv::FILLED);
  cv::rectangle(image, {cols / 2 - cols / 10, 0}, {cols / 2 + cols / 10, rows / 2 - rows / 20}, cv::Scalar(170), cv::FILLED);
  cv::ellipse(image, {cols / 2, rows / 2 - rows / 20}, {cols / 6, rows / 12}, 0, 0, 360, cv::Scalar(185), cv::FILLED);
  cv::rectangle(image, {cols / 2 - cols / 9, rows / 2 + rows / 25}, {cols / 2 + cols / 9, rows}, cv::Scalar(165), cv::FILLED);
  cv::ellipse(image, {cols / 2 + cols / 5, rows / 2 - rows / 12}, {cols / 20, rows / 14}, 0, 0, 360, cv::Scalar(190), cv::FILLED);
  cv::GaussianBlur(image, image, {0, 0}, 3.0);
  return image;
}

TEST(ShippedGate, AcceptsWholeSpinePhantoms) {
  phantom::GeneratorOptions options;
  options.rows = 1600;  // a reduced full film keeps the test short; the engine letterboxes anyway
  for (int i = 0; i < 3; ++i) {
    const auto c = phantom::generateCase(424242, i, options);
    const auto p = shipped().predict(c.windowed8(), c.truth.image.calibration);
    std::string reasons;
    for (const auto& r : p.gate.reasons) reasons += r + "; ";
    EXPECT_TRUE(p.gate.accepted) << "phantom " << i << ": " << reasons;
  }
}

TEST(ShippedGate, RefusesWhatIsNotAWholeSpineLateral) {
  // A chest film: the thorax of a phantom, cut square.
  phantom::GeneratorOptions options;
  options.rows = 2400;
  const auto film = phantom::generateCase(424242, 7, options).windowed8();
  const int side = std::min(film.cols, film.rows / 2);
  expectRefused(film(cv::Rect(0, film.rows / 6, side, side)).clone(), "a chest film");
  expectRefused(knee(2000, 1700), "a knee");
  expectRefused(cv::Mat(3000, 1000, CV_8U, cv::Scalar(128)), "a blank film");
  // Tall noise passes the shape and contrast checks: the network's confidence must refuse it.
  cv::Mat noise(3000, 1200, CV_8U);
  cv::randu(noise, 0, 256);
  expectRefused(noise, "a tall noise image");
  const auto p = shipped().predict(noise, kSpacing);
  EXPECT_TRUE(mentions(p.gate.reasons, "not confident")) << "median spread " << p.medianSpreadInputPx;
  EXPECT_FALSE(mentions(p.gate.reasons, "long-length"));
  cv::Mat square(2000, 2000, CV_8U);
  cv::randu(square, 0, 256);
  expectRefused(square, "a square noise image");
}

TEST(ShippedGate, RefusesPydicomSampleImages) {
  const fs::path folder = SAGITTA_PYDICOM_DATA;
  if (!fs::exists(folder)) GTEST_SKIP() << "python3-pydicom's test files are not installed";
  int decoded = 0;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (!entry.is_regular_file()) continue;
    dicom::Radiograph r;
    try {
      r = dicom::readRadiograph(entry.path().string());
    } catch (const std::exception&) {
      continue;  // not an image this reader decodes: refused earlier, with a typed reason
    }
    ++decoded;
    const auto p = shipped().predict(r.display, r.info.calibration);
    EXPECT_FALSE(p.gate.accepted) << entry.path().filename().string() << " (" << r.info.rows << " x " << r.info.columns
                                  << ") was accepted";
  }
  EXPECT_GT(decoded, 30);
}

TEST(ViewCheck, PhantomLateralsAreNotFrontalAMirroredFilmIs) {
  phantom::GeneratorOptions options;
  options.rows = 1600;
  const GateThresholds shippedGate = shipped().manifest().gate;
  for (int i = 0; i < 4; ++i) {
    const auto film = phantom::generateCase(515151, i, options).windowed8();
    const auto lateral = mirrorSymmetry(film);
    EXPECT_LT(lateral.correlation, shippedGate.maxFrontalSymmetry) << "phantom " << i;
    // The same film made bilaterally symmetric about its middle, as a frontal projection is.
    cv::Mat frontal = film.clone();
    const int half = film.cols / 2;
    cv::flip(film(cv::Rect(0, 0, half, film.rows)), frontal(cv::Rect(film.cols - half, 0, half, film.rows)), 1);
    const auto mirrored = mirrorSymmetry(frontal);
    EXPECT_GT(mirrored.correlation, 0.9) << "phantom " << i;
    EXPECT_NEAR(mirrored.axisFraction, 0.5, 0.02);
    const auto p = shipped().predict(frontal, kSpacing);
    EXPECT_FALSE(p.gate.accepted);
    EXPECT_TRUE(mentions(p.gate.reasons, "not a lateral view")) << "phantom " << i;
  }
  EXPECT_DOUBLE_EQ(mirrorSymmetry(cv::Mat(400, 200, CV_8U, cv::Scalar(90))).correlation, 0.0);
  EXPECT_DOUBLE_EQ(mirrorSymmetry(cv::Mat(8, 8, CV_8U, cv::Scalar(90))).correlation, 0.0);
}

// Real frontal films (../shared/realfilms, evaluation only): refused as frontal from the pixels,
// whatever the file's name or tags say.
TEST(ViewCheck, RealFrontalFilmsAreRefusedAsNotLateral) {
  const fs::path films = fs::path(SAGITTA_REALFILMS_DIR) / "films";
  if (!fs::exists(films)) GTEST_SKIP() << "no " << films.string();
  for (const char* name : {"neg_xiehe_ap_wholespine.jpg", "neg_torchxrayvision_chest_pa.png"}) {
    const auto r = dicom::readInputImage((films / name).string(), std::nullopt);
    const auto a = analyse(shipped(), r);
    EXPECT_FALSE(a.accepted) << name;
    EXPECT_TRUE(mentions(a.reasons, "not a lateral view")) << name;
  }
}

TEST(FailClosedAnalysis, PhantomIsMeasuredWithNothingWithheld) {
  phantom::GeneratorOptions options;
  options.rows = 1600;
  const auto c = phantom::generateCase(424242, 1, options);
  dicom::Radiograph r;
  r.display = c.windowed8();
  r.info.rows = r.display.rows;
  r.info.columns = r.display.cols;
  r.info.calibration = c.truth.image.calibration;
  const auto a = analyse(shipped(), r);
  ASSERT_TRUE(a.accepted) << (a.reasons.empty() ? "" : a.reasons[0]);
  EXPECT_TRUE(a.withheld.empty());
  EXPECT_EQ(a.report.measurement.measuredCount(), core::kParameterCount);
}

TEST(FailClosedAnalysis, LandmarksThatCannotBeMeasuredRefuseInsteadOfThrowing) {
  const auto none = measureFailClosed(core::LandmarkSet{}, kSpacing);
  EXPECT_FALSE(none.accepted);
  ASSERT_EQ(none.reasons.size(), 1U);
  EXPECT_EQ(none.reasons[0].rfind("the landmarks found cannot be measured: ", 0), 0U) << none.reasons[0];
}

}  // namespace
}  // namespace sagitta::models
