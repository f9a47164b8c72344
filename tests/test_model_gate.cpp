// SPDX-License-Identifier: GPL-3.0-or-later
// The shipped bundle's out-of-distribution gate on real inputs: whole-spine phantoms pass;
// a chest film, a knee, a blank and a noise image, and python3-pydicom's sample images are
// refused with a reason, never measured.
#include <filesystem>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "sagitta/dicom/radiograph.hpp"
#include "sagitta/models/inference_engine.hpp"
#include "sagitta/phantom/generator.hpp"

namespace sagitta::models {
namespace {

namespace fs = std::filesystem;

InferenceEngine& shipped() {
  static InferenceEngine engine(SAGITTA_SHIPPED_BUNDLE, {"cpu", 2, 4});
  return engine;
}

const core::Calibration kSpacing = core::Calibration::fromSpacing(core::CalibrationKind::PixelSpacing, 0.15, 0.15);

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
  cv::Mat noise(3000, 1200, CV_8U);
  cv::randu(noise, 0, 256);
  expectRefused(noise, "a tall noise image");
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

}  // namespace
}  // namespace sagitta::models
