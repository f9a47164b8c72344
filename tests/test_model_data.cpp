// SPDX-License-Identifier: GPL-3.0-or-later
// Training data: augmentation geometry, datasets and the split, configuration, eq. 5-8.
#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "sagitta/core/landmarks_json.hpp"
#include "sagitta/models/dataset.hpp"
#include "sagitta/models/device.hpp"
#include "sagitta/models/errors.hpp"
#include "sagitta/models/input_geometry.hpp"
#include "sagitta/models/localisation_error.hpp"
#include "sagitta/models/sample.hpp"
#include "sagitta/models/train_config.hpp"
#include "support/scratch.hpp"

namespace sagitta::models {
namespace {

namespace fs = std::filesystem;
using sagitta::testing::scratch;
using core::LandmarkId;

// Input position (continuous) of the bright dot: the centroid of the pixels above half its peak.
cv::Point2d brightest(const torch::Tensor& input) {
  const auto image = input[0];
  const auto floor = image.min().item<double>();
  const auto weight = (image - floor) * ((image - floor) > 0.5 * (image.max().item<double>() - floor)).to(torch::kFloat);
  const auto ys = torch::arange(image.size(0), torch::kFloat).unsqueeze(1) + 0.5;
  const auto xs = torch::arange(image.size(1), torch::kFloat).unsqueeze(0) + 0.5;
  const double total = weight.sum().item<double>();
  return {(weight * xs).sum().item<double>() / total, (weight * ys).sum().item<double>() / total};
}

TEST(Sample, IdentityMatchesTheLetterbox) {
  const cv::Mat image(900, 300, CV_8U, cv::Scalar(80));
  core::LandmarkSet set;
  set.set(LandmarkId::L3_C, {123.25, 456.5, std::nullopt});
  const auto s = makeSample(image, set, 512, 288, Augmentation::identity());
  const auto expected = InputGeometry::fit(image.size(), 512, 288).toNormalised({123.25, 456.5});
  const auto k = static_cast<int64_t>(core::indexOf(LandmarkId::L3_C));
  EXPECT_NEAR(s.targets[k][0].item<double>(), expected.x, 1e-6);
  EXPECT_NEAR(s.targets[k][1].item<double>(), expected.y, 1e-6);
  EXPECT_EQ(s.visible[k].item<float>(), 1.0F);
  EXPECT_EQ(s.visible.sum().item<float>(), 1.0F);  // unannotated landmarks are not visible
}

TEST(Sample, LandmarksFollowThePixelsUnderEveryAugmentation) {
  std::mt19937_64 rng(3);
  AugmentationRanges ranges;
  ranges.blurSigmaMax = 0.0;  // keep the dot sharp
  ranges.noiseMax = 0.0;
  for (int trial = 0; trial < 20; ++trial) {
    cv::Mat image(1200, 500, CV_8U, cv::Scalar(30));
    const cv::Point2d dot(100.0 + 15.0 * trial, 300.0 + 30.0 * trial);
    cv::circle(image, cv::Point(static_cast<int>(dot.x), static_cast<int>(dot.y)), 6, cv::Scalar(255), cv::FILLED);
    core::LandmarkSet set;
    set.set(LandmarkId::T8_C, {dot.x + 0.5, dot.y + 0.5, std::nullopt});  // centre of the dot's pixel
    const auto a = Augmentation::draw(ranges, 512, 288, rng);
    const auto s = makeSample(image, set, 512, 288, a);
    const auto k = static_cast<int64_t>(core::indexOf(LandmarkId::T8_C));
    if (s.visible[k].item<float>() == 0.0F) continue;
    const auto peak = brightest(s.input);
    const double tx = (s.targets[k][0].item<double>() + 1.0) * 288 / 2.0;
    const double ty = (s.targets[k][1].item<double>() + 1.0) * 512 / 2.0;
    EXPECT_LT(std::hypot(peak.x - tx, peak.y - ty), 0.5) << "trial " << trial << " rotation " << a.rotationDeg
                                                         << " flip " << a.flip;
  }
}

TEST(Sample, InputIsNormalisedOverTheImageArea) {
  cv::Mat image(1000, 200, CV_8U);
  cv::randu(image, 0, 255);
  const auto input = makeInput(image, 512, 288);
  const auto area = input.abs() > 0;
  const auto values = input.masked_select(area);
  EXPECT_NEAR(values.mean().item<double>(), 0.0, 0.05);
  EXPECT_NEAR(values.std().item<double>(), 1.0, 0.05);
  EXPECT_EQ(input[0][256][0].item<float>(), 0.0F);  // letterbox padding at the left edge
}

TEST(Dataset, SplitIsByPatientDeterministicAndNearTheFraction) {
  int validation = 0;
  for (int i = 0; i < 2000; ++i) validation += isValidationPatient("patient-" + std::to_string(i), 0.2) ? 1 : 0;
  EXPECT_NEAR(validation, 400, 60);
  // The split is a pure function of the patient key: these buckets (first 8 hex digits of the
  // key's SHA-256, mod 10000) were computed independently (Python's hashlib): patient-10 is in
  // bucket 342, patient-7 in 2181, patient-6 in 3475, patient-1 in 9902.
  EXPECT_TRUE(isValidationPatient("patient-10", 0.035));
  EXPECT_FALSE(isValidationPatient("patient-10", 0.034));
  EXPECT_TRUE(isValidationPatient("patient-7", 0.2182));
  EXPECT_FALSE(isValidationPatient("patient-7", 0.2181));
  EXPECT_TRUE(isValidationPatient("patient-6", 0.35));
  EXPECT_FALSE(isValidationPatient("patient-6", 0.34));
  EXPECT_FALSE(isValidationPatient("patient-1", 0.99));
  EXPECT_TRUE(isValidationPatient("patient-1", 1.0));
  EXPECT_FALSE(isValidationPatient("patient-10", 0.0));
}

TEST(Dataset, AnnotatedFolderWithPatientsAndReduction) {
  const auto dir = scratch("model-data-folder");
  for (int i = 0; i < 3; ++i) {
    cv::Mat image(2000, 800, CV_8U, cv::Scalar(40 + i));
    cv::imwrite((dir / ("film" + std::to_string(i) + ".png")).string(), image);
    core::LandmarkFile file;
    file.image = {800, 2000, core::Calibration::fromSpacing(core::CalibrationKind::PixelSpacing, 0.5, 0.5)};
    file.landmarks.set(LandmarkId::C2_C, {400.0, 200.0, std::nullopt});
    std::ofstream(dir / ("film" + std::to_string(i) + ".json")) << core::landmarksToJson(file);
  }
  std::ofstream(dir / "patients.csv") << "film0,P1\nfilm1,P1\n";
  const auto images = loadAnnotatedFolder(dir.string(), 512, 288);
  ASSERT_EQ(images.size(), 3U);
  EXPECT_EQ(images[0].patientKey, "P1");
  EXPECT_EQ(images[1].patientKey, "P1");
  EXPECT_EQ(images[2].patientKey, "film2");
  // 2000 x 800 reduced to 512 rows: x0.256, spacing / 0.256.
  EXPECT_EQ(images[0].grey8.rows, 512);
  EXPECT_NEAR(images[0].landmarks.at(LandmarkId::C2_C).x, 400.0 * 205.0 / 800.0, 1e-9);
  EXPECT_NEAR(images[0].rowSpacingMm, 0.5 * 2000.0 / 512.0, 1e-9);
  EXPECT_TRUE(images[0].calibrated);
}

TEST(Dataset, RefusesMismatchedAndEmptyFolders) {
  const auto empty = scratch("model-data-empty");
  EXPECT_THROW(loadAnnotatedFolder(empty.string(), 512, 288), ConfigError);
  const auto dir = scratch("model-data-mismatch");
  cv::imwrite((dir / "a.png").string(), cv::Mat(100, 50, CV_8U, cv::Scalar(9)));
  std::ofstream(dir / "a.json") << R"({"image": {"columns": 60, "rows": 100, "pixel_spacing_mm": null,
    "calibration": "none"}, "landmarks": []})";
  try {
    loadAnnotatedFolder(dir.string(), 512, 288);
    FAIL() << "a size mismatch must be refused";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("a.json"), std::string::npos);
  }
}

TEST(Dataset, PhantomImagesAreDeterministicAndFitTheInput) {
  const auto a = generatePhantomImages({77, 2, 0, "normal"}, 256, 128, 2);
  const auto b = generatePhantomImages({77, 2, 0, "normal"}, 256, 128, 1);
  ASSERT_EQ(a.size(), 2U);
  EXPECT_LE(a[0].grey8.rows, 256);
  EXPECT_LE(a[0].grey8.cols, 128);
  EXPECT_EQ(cv::norm(a[1].grey8, b[1].grey8, cv::NORM_INF), 0.0);
  EXPECT_EQ(a[0].landmarks.size(), core::kLandmarkCount);
}

TEST(TrainConfig, ParsesAndRefusesMistakes) {
  const std::string good = R"({"output": "run", "data": {"phantom": {"seed": 1, "count": 10,
      "validation_seed": 2, "validation_count": 4}}, "loss": {"heatmap_target": "exponential"},
      "network": {"input_height": 256, "input_width": 128}, "training": {"epochs": 3}})";
  const auto c = parseTrainConfig(good, "/base");
  EXPECT_EQ(c.output, "/base/run");
  EXPECT_EQ(c.loss.target, HeatmapTarget::Exponential);
  EXPECT_EQ(c.loss.inputHeight, 256.0);
  EXPECT_EQ(c.epochs, 3);
  EXPECT_THROW(parseTrainConfig(R"({"output": "r", "data": {"phantom": {"seed": 1, "validation_seed": 1}}})", "."),
               ConfigError);  // shared seed: validation patients would be training patients
  EXPECT_THROW(parseTrainConfig(R"({"output": "r", "trainig": {}})", "."), ConfigError);  // misspelt
  EXPECT_THROW(parseTrainConfig(R"({"output": "r", "data": {}})", "."), ConfigError);     // no source
  EXPECT_THROW(parseTrainConfig(R"({"output": "r", "data": {"phantom": {"validation_seed": 3}},
      "network": {"input_height": 250}})", "."), ConfigError);  // not a multiple of 32
  EXPECT_THROW(parseTrainConfig("{", "."), ConfigError);
}

TEST(TrainConfig, LearningRateDropsAfterEachListedEpoch) {
  const std::string base = R"({"output": "r", "data": {"phantom": {"seed": 1, "validation_seed": 2}},
      "training": {"learning_rate": 0.002, "lr_drop_factor": 0.1, "lr_drop_epoch": )";
  const auto one = parseTrainConfig(base + "7}}", ".");
  EXPECT_DOUBLE_EQ(learningRateAt(one, 7), 0.002);
  EXPECT_DOUBLE_EQ(learningRateAt(one, 8), 0.0002);
  EXPECT_DOUBLE_EQ(learningRateAt(one, 20), 0.0002);
  const auto two = parseTrainConfig(base + "[7, 10]}}", ".");
  EXPECT_DOUBLE_EQ(learningRateAt(two, 10), 0.0002);
  EXPECT_NEAR(learningRateAt(two, 11), 0.00002, 1e-12);
  EXPECT_THROW(parseTrainConfig(base + "\"7\"}}", "."), ConfigError);
  EXPECT_THROW(parseTrainConfig(base + "[7, 1.5]}}", "."), ConfigError);
}

TEST(LocalisationError, WeightedByTheNearestNeighbourAndHeadsUnordered) {
  core::LandmarkSet truth, predicted;
  truth.set(LandmarkId::FH_A, {100.0, 100.0, std::nullopt});
  truth.set(LandmarkId::FH_P, {140.0, 100.0, std::nullopt});
  truth.set(LandmarkId::S1_A, {100.0, 0.0, std::nullopt});
  predicted.set(LandmarkId::FH_A, {143.0, 104.0, std::nullopt});  // heads swapped by the network
  predicted.set(LandmarkId::FH_P, {100.0, 100.0, std::nullopt});
  predicted.set(LandmarkId::S1_A, {100.0, 6.0, std::nullopt});
  const auto e = imageErrors(predicted, truth, 0.5, 0.5);
  const auto fhp = core::indexOf(LandmarkId::FH_P), fha = core::indexOf(LandmarkId::FH_A);
  EXPECT_NEAR(e.mm[fhp], 2.5, 1e-9);            // (3, 4) px at 0.5 mm
  EXPECT_NEAR(e.weighted[fhp], 2.5 / 20.0, 1e-9);  // nearest neighbour FH_A at 40 px = 20 mm
  EXPECT_NEAR(e.mm[fha], 0.0, 1e-9);
  EXPECT_NEAR(e.weighted[core::indexOf(LandmarkId::S1_A)], 3.0 / 50.0, 1e-9);
  EXPECT_TRUE(std::isnan(e.mm[core::indexOf(LandmarkId::C2_C)]));
  const auto s = summarise({e, e});
  EXPECT_NEAR(s.selectionError, 0.125, 1e-9);  // eq. 8: the worst per-landmark median
  EXPECT_NEAR(quantile({1.0, 2.0, 3.0, 4.0}, 0.25), 1.75, 1e-12);
}

TEST(Device, ParsesAndRefuses) {
  EXPECT_EQ(resolveDevice("cpu").type(), torch::kCPU);
  EXPECT_THROW(resolveDevice("gpu"), DeviceError);
  EXPECT_THROW(resolveDevice("cuda:x"), DeviceError);
  if (!torch::cuda::is_available()) {
    EXPECT_EQ(resolveDevice("auto").type(), torch::kCPU);
    EXPECT_THROW(resolveDevice("cuda:0"), DeviceError);
  }
}

}  // namespace
}  // namespace sagitta::models
