// SPDX-License-Identifier: GPL-3.0-or-later
// Partial films (issue 16): training cuts to a field of view, the domain randomisation of the
// input, the presence output and what inference does with it (the gate, the reasons of the
// parameters off the film, the refiner's scale).
#include <algorithm>
#include <cmath>
#include <random>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "sagitta/core/fail_closed.hpp"
#include "sagitta/core/measurement.hpp"
#include "sagitta/core/parameter_catalogue.hpp"
#include "sagitta/models/analysis.hpp"
#include "sagitta/models/bundle_builder.hpp"
#include "sagitta/models/errors.hpp"
#include "sagitta/models/field_of_view.hpp"
#include "sagitta/models/film_variety.hpp"
#include "sagitta/models/inference_engine.hpp"
#include "sagitta/models/losses.hpp"
#include "sagitta/models/network.hpp"
#include "sagitta/models/refiner_config.hpp"
#include "sagitta/models/train_config.hpp"
#include "sagitta/phantom/generator.hpp"

namespace sagitta::models {
namespace {

using core::LandmarkId;

LabelledImage wholePhantom(int index) {
  phantom::GeneratorOptions options;
  options.rows = 900;
  const auto c = phantom::generateCase(31337, index, options);
  LabelledImage image;
  image.name = "fov";
  image.grey8 = c.windowed8();
  image.landmarks = c.truth.landmarks;
  return image;
}

// The cut's offset in the whole film, from any landmark it kept (all must agree).
cv::Point2d offsetOf(const LabelledImage& whole, const LabelledImage& cut) {
  std::optional<cv::Point2d> offset;
  for (const auto& info : core::landmarkCatalogue()) {
    const auto& c = cut.landmarks.get(info.id);
    if (!c) continue;
    const auto& w = *whole.landmarks.get(info.id);
    const cv::Point2d d(w.x - c->x, w.y - c->y);
    if (!offset) offset = d;
    EXPECT_NEAR(d.x, offset->x, 1e-9) << info.key;
    EXPECT_NEAR(d.y, offset->y, 1e-9) << info.key;
  }
  return offset.value_or(cv::Point2d{});
}

TEST(FieldOfView, EachKindShowsItsLevelsWithTheirPixelsAndOnlyThem) {
  const auto whole = wholePhantom(0);
  FieldOfViewMix mix;
  struct Expect {
    FieldOfView kind;
    std::vector<LandmarkId> on, off;
  };
  const std::vector<Expect> cases{
      {FieldOfView::Lumbar, {LandmarkId::L1_C, LandmarkId::L3_C, LandmarkId::L5_C, LandmarkId::S1_A}, {LandmarkId::C2_C, LandmarkId::T5_C}},
      {FieldOfView::Cervical, {LandmarkId::C2_DENS, LandmarkId::C3_C, LandmarkId::C6_C}, {LandmarkId::L1_C, LandmarkId::S1_A}},
      {FieldOfView::Thoracolumbar, {LandmarkId::T8_C, LandmarkId::L5_C, LandmarkId::S1_P}, {LandmarkId::C2_C, LandmarkId::C4_C}},
      {FieldOfView::Thoracic, {LandmarkId::T3_C, LandmarkId::T11_C}, {LandmarkId::C2_DENS, LandmarkId::S1_A, LandmarkId::FH_A}},
  };
  for (const auto& e : cases) {
    for (int draw = 0; draw < 20; ++draw) {
      std::mt19937_64 rng(static_cast<std::uint64_t>(draw));
      const auto cut = cutToFieldOfView(whole, e.kind, mix, rng);
      const auto where = std::string(fieldOfViewKey(e.kind)) + " draw " + std::to_string(draw);
      ASSERT_LT(cut.grey8.rows, whole.grey8.rows) << where;
      for (const auto id : e.on) EXPECT_TRUE(cut.landmarks.has(id)) << where << ": " << core::landmarkKey(id);
      for (const auto id : e.off) EXPECT_FALSE(cut.landmarks.has(id)) << where << ": " << core::landmarkKey(id);
      // Every landmark inside the cut is kept at its pixel; every one outside is dropped.
      const auto d = offsetOf(whole, cut);
      const cv::Rect rect(static_cast<int>(d.x), static_cast<int>(d.y), cut.grey8.cols, cut.grey8.rows);
      EXPECT_EQ(cv::countNonZero(whole.grey8(rect) != cut.grey8), 0) << where;
      for (const auto& info : core::landmarkCatalogue()) {
        const auto& w = *whole.landmarks.get(info.id);
        const bool inside = w.x >= rect.x && w.y >= rect.y && w.x <= rect.x + rect.width && w.y <= rect.y + rect.height;
        EXPECT_EQ(cut.landmarks.has(info.id), inside) << where << ": " << info.key;
      }
    }
  }
  std::mt19937_64 rng(1);
  const auto same = cutToFieldOfView(whole, FieldOfView::Whole, mix, rng);
  EXPECT_EQ(same.grey8.size(), whole.grey8.size());
  EXPECT_EQ(same.landmarks.size(), core::kLandmarkCount);
  // Sparse annotations (a hospital's films) are never cut: their truth does not say what is off the film.
  auto sparse = whole;
  sparse.landmarks.erase(LandmarkId::T7_C);
  EXPECT_EQ(cutToFieldOfView(sparse, FieldOfView::Lumbar, mix, rng).grey8.size(), whole.grey8.size());
}

TEST(FieldOfView, TheMixDrawsItsWeights) {
  FieldOfViewMix mix;
  EXPECT_FALSE(mix.anyCut());
  mix.weights = {0.0, 1.0, 0.0, 0.0, 3.0, 0.0};
  EXPECT_TRUE(mix.anyCut());
  std::mt19937_64 rng(3);
  int lumbar = 0, cervical = 0;
  for (int i = 0; i < 4000; ++i) {
    const auto k = mix.draw(rng);
    lumbar += k == FieldOfView::Lumbar;
    cervical += k == FieldOfView::Cervical;
  }
  EXPECT_EQ(lumbar + cervical, 4000);
  EXPECT_NEAR(cervical / 4000.0, 0.75, 0.03);
}

TEST(FilmVariety, EveryStepChangesTheImageInsideTheMaskOnlyAndRepeats) {
  cv::Mat image(256, 160, CV_8U), mask(256, 160, CV_8U, cv::Scalar(0));
  cv::randu(image, 30, 220);
  cv::GaussianBlur(image, image, {0, 0}, 3.0);
  mask(cv::Rect(20, 0, 120, 256)).setTo(255);
  image.setTo(0, ~mask);
  FilmVariety none;
  cv::Mat copy = image.clone();
  applyFilmVariety(copy, mask, none);
  EXPECT_EQ(cv::countNonZero(copy != image), 0);
  for (int step = 0; step < 6; ++step) {
    FilmVariety v;
    v.seed = 99;
    v.curve = step == 0;
    v.equalise = step == 1;
    v.unsharp = step == 2;
    v.downscale = step == 3;
    v.downscaleFactor = 0.4;
    v.jpeg = step == 4;
    v.jpegQuality = 20;
    v.text = step == 5;
    cv::Mat a = image.clone(), b = image.clone();
    applyFilmVariety(a, mask, v);
    applyFilmVariety(b, mask, v);
    EXPECT_GT(cv::countNonZero(a != image), 50) << "step " << step;
    EXPECT_EQ(cv::countNonZero(a != b), 0) << "step " << step << " is not repeatable";
    EXPECT_EQ(cv::countNonZero(a & ~mask), 0) << "step " << step << " wrote into the padding";
  }
  // Draws follow the probabilities: 0 never, 1 always.
  FilmVarietyRanges always;
  always.curveProbability = always.equalisationProbability = always.unsharpProbability = 1.0;
  always.downscaleProbability = always.jpegProbability = always.textProbability = 1.0;
  std::mt19937_64 rng(5);
  const auto all = FilmVariety::draw(always, rng);
  EXPECT_TRUE(all.curve && all.equalise && all.unsharp && all.downscale && all.jpeg && all.text);
  EXPECT_TRUE(FilmVariety::draw(FilmVarietyRanges{}, rng).identity());
}

TEST(Presence, TheHeadIsOptionalAndItsLossIsCrossEntropy) {
  NetworkConfig n;
  n.baseChannels = 4;
  n.pyramidChannels = 8;
  n.blocksPerStage = 0;
  n.inputHeight = 128;
  n.inputWidth = 64;
  LandmarkNetwork plain(n);
  EXPECT_FALSE(plain->forward(torch::randn({2, 1, 128, 64})).presenceLogits.defined());
  n.presence = true;
  LandmarkNetwork withHead(n);
  const auto out = withHead->forward(torch::randn({2, 1, 128, 64}));
  ASSERT_TRUE(out.presenceLogits.defined());
  EXPECT_EQ(out.presenceLogits.sizes(), (std::vector<int64_t>{2, 45}));
  EXPECT_NEAR(presenceLoss(torch::zeros({2, 45}), torch::ones({2, 45})).item<double>(), std::log(2.0), 1e-6);
  EXPECT_LT(presenceLoss(torch::full({1, 3}, 8.0), torch::ones({1, 3})).item<double>(), 1e-3);
  EXPECT_GT(presenceLoss(torch::full({1, 3}, 8.0), torch::zeros({1, 3})).item<double>(), 7.9);
}

// A prediction of the lumbar spine only, as the presence output leaves it.
Prediction lumbarPrediction(const cv::Size& film) {
  Prediction p;
  p.hasPresence = true;
  p.presence.fill(0.02);
  const double x = film.width * 0.5;
  int level = 0;
  for (const auto id : {LandmarkId::T12_C, LandmarkId::L1_C, LandmarkId::L2_C, LandmarkId::L3_C, LandmarkId::L4_C,
                        LandmarkId::L5_C}) {
    p.landmarks.set(id, {x, film.height * (0.12 + 0.13 * level++), std::nullopt});
    p.presence[core::indexOf(id)] = 0.97;
  }
  // Endplate corners of L1 and L4, S1, and the hips, facing right (anterior = larger x).
  const auto put = [&](LandmarkId id, double px, double py) {
    p.landmarks.set(id, {px, py, std::nullopt});
    p.presence[core::indexOf(id)] = 0.95;
  };
  const double h = film.height;
  put(LandmarkId::T12_AI, x + 40, h * 0.17);
  put(LandmarkId::T12_PI, x - 40, h * 0.175);
  put(LandmarkId::L1_AS, x + 40, h * 0.20);
  put(LandmarkId::L1_PS, x - 40, h * 0.205);
  put(LandmarkId::L4_AS, x + 42, h * 0.57);
  put(LandmarkId::L4_PS, x - 40, h * 0.58);
  put(LandmarkId::S1_A, x + 45, h * 0.86);
  put(LandmarkId::S1_P, x - 35, h * 0.80);
  put(LandmarkId::FH_A, x + 60, h * 0.95);
  put(LandmarkId::FH_P, x + 55, h * 0.96);
  p.medianSpreadInputPx = 1.0;
  return p;
}

TEST(Presence, TheGateJudgesWhatIsOnTheFilm) {
  GateThresholds t;
  t.minAspect = 0.75;
  t.minSpanFraction = 0.2;
  t.maxMedianSpreadPx = 10.0;
  cv::Mat film(1000, 600, CV_8U);
  cv::randu(film, 0, 255);
  const auto lumbar = lumbarPrediction(film.size());
  const auto v = judge(film, lumbar, t);
  EXPECT_TRUE(v.accepted) << (v.reasons.empty() ? "" : v.reasons[0]);

  auto few = lumbar;
  for (const auto id : {LandmarkId::L1_AS, LandmarkId::L1_PS, LandmarkId::L4_AS, LandmarkId::L4_PS, LandmarkId::S1_A,
                        LandmarkId::S1_P, LandmarkId::FH_A, LandmarkId::FH_P, LandmarkId::T12_AI, LandmarkId::T12_PI,
                        LandmarkId::L2_C}) {
    few.landmarks.erase(id);
  }
  const auto refused = judge(film, few, t);
  EXPECT_FALSE(refused.accepted);
  EXPECT_NE(refused.reasons.at(0).find("too little of a spine"), std::string::npos);

  auto holed = lumbar;
  holed.landmarks.erase(LandmarkId::L3_C);
  const auto gap = judge(film, holed, t);
  EXPECT_FALSE(gap.accepted);
  EXPECT_NE(gap.reasons.at(0).find("not one run: L3_C missing between T12_C and L5_C"), std::string::npos) << gap.reasons.at(0);

  auto swapped = lumbar;
  auto l2 = *swapped.landmarks.get(LandmarkId::L2_C), l4 = *swapped.landmarks.get(LandmarkId::L4_C);
  std::swap(l2.y, l4.y);
  swapped.landmarks.set(LandmarkId::L2_C, l2);
  swapped.landmarks.set(LandmarkId::L4_C, l4);
  const auto disordered = judge(film, swapped, t);
  EXPECT_FALSE(disordered.accepted);
  EXPECT_NE(disordered.reasons.at(0).find("out of order"), std::string::npos);
}

TEST(Presence, ParametersOffTheFilmSaySoAndTheRestAreMeasured) {
  const auto p = lumbarPrediction({600, 1000});
  const auto calibration = core::Calibration::fromSpacing(core::CalibrationKind::PixelSpacing, 0.3, 0.3);
  auto m = core::measure(p.landmarks, calibration);
  markOutsideFieldOfView(m, p);
  EXPECT_TRUE(m[core::ParameterId::LL].value.has_value());
  EXPECT_TRUE(m[core::ParameterId::SS].value.has_value());
  EXPECT_TRUE(m[core::ParameterId::PI].value.has_value());
  for (const auto id : {core::ParameterId::CL, core::ParameterId::T1S, core::ParameterId::GTK, core::ParameterId::ODHA}) {
    EXPECT_FALSE(m[id].value.has_value()) << core::parameterInfo(id).key;
    EXPECT_EQ(m[id].reason.rfind(std::string(core::kOutsideFieldOfViewPrefix), 0), 0U) << m[id].reason;
  }
  // A landmark the network thinks is on the film but that is missing keeps the core's reason.
  auto q = p;
  q.presence[core::indexOf(LandmarkId::C2_AI)] = 0.9;
  auto m2 = core::measure(q.landmarks, calibration);
  markOutsideFieldOfView(m2, q);
  EXPECT_EQ(m2[core::ParameterId::CL].reason.find(std::string(core::kOutsideFieldOfViewPrefix)), std::string::npos);
}

TEST(RefinerScale, ReadsHowMuchLargerThePartialSpineIs) {
  const auto whole = wholePhantom(1);
  const int h = 512, w = 288;
  const double toInput = std::min(static_cast<double>(h) / whole.grey8.rows, static_cast<double>(w) / whole.grey8.cols);
  std::vector<double> reference;
  const auto& centres = core::bodyCentres();
  for (std::size_t i = 0; i + 1 < centres.size(); ++i) {
    const auto& a = *whole.landmarks.get(centres[i]);
    const auto& b = *whole.landmarks.get(centres[i + 1]);
    reference.push_back(std::hypot(a.x - b.x, a.y - b.y) * toInput);
  }
  EXPECT_NEAR(anatomicalScale(whole.landmarks, whole.grey8.rows, whole.grey8.cols, h, w, reference), 1.0, 1e-9);
  // The lumbar cut, letterboxed, shows the spine about three times larger.
  FieldOfViewMix mix;
  std::mt19937_64 rng(4);
  const auto cut = cutToFieldOfView(whole, FieldOfView::Lumbar, mix, rng);
  const double s = anatomicalScale(cut.landmarks, cut.grey8.rows, cut.grey8.cols, h, w, reference);
  const double expected = std::min(static_cast<double>(h) / cut.grey8.rows, static_cast<double>(w) / cut.grey8.cols) / toInput;
  EXPECT_NEAR(s, expected, 1e-6);
  EXPECT_GT(s, 1.5);
  EXPECT_DOUBLE_EQ(anatomicalScale(cut.landmarks, cut.grey8.rows, cut.grey8.cols, h, w, {}), 1.0);
}

TEST(TrainConfig, ReadsFieldsOfViewFilmVarietyAndPresence) {
  const std::string text = R"({"name": "p", "output": "run",
    "network": {"input_height": 128, "input_width": 64, "presence": true},
    "loss": {"presence_weight": 3},
    "data": {"phantom": {"seed": 1, "count": 4, "validation_seed": 2, "validation_count": 2, "render_rows": 384}},
    "fields_of_view": {"whole": 1, "lumbar": 2, "cervical": 1, "width_ratio": [0.6, 1.0]},
    "augmentation": {"film": {"curve_probability": 0.5, "jpeg_probability": 0.25}},
    "training": {"initial_weights": "w.pt"}})";
  const auto c = parseTrainConfig(text, "/base");
  EXPECT_TRUE(c.network.presence);
  EXPECT_DOUBLE_EQ(c.loss.presenceWeight, 3.0);
  EXPECT_EQ(c.phantom->renderRows, 384);
  EXPECT_TRUE(c.fieldsOfView.anyCut());
  EXPECT_DOUBLE_EQ(c.fieldsOfView.weights[1], 2.0);
  EXPECT_DOUBLE_EQ(c.fieldsOfView.weights[3], 0.0);  // unnamed kinds are not drawn
  EXPECT_DOUBLE_EQ(c.fieldsOfView.widthRatioMin, 0.6);
  EXPECT_DOUBLE_EQ(c.augmentation.film.curveProbability, 0.5);
  EXPECT_EQ(c.initialWeights, "/base/w.pt");
  const auto broken = [&](const std::string& from, const std::string& to) {
    auto t = text;
    t.replace(t.find(from), from.size(), to);
    return t;
  };
  EXPECT_THROW(parseTrainConfig(broken("\"jpeg_probability\"", "\"jpg_probability\""), "/"), ConfigError);
  EXPECT_THROW(parseTrainConfig(broken("\"curve_probability\": 0.5", "\"curve_probability\": 1.5"), "/"), ConfigError);
  EXPECT_THROW(parseTrainConfig(broken("\"lumbar\": 2", "\"lumbar\": -1"), "/"), ConfigError);
  EXPECT_THROW(parseTrainConfig(broken("\"cervical\"", "\"neck\""), "/"), ConfigError);
}

}  // namespace
}  // namespace sagitta::models
