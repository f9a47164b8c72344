// SPDX-License-Identifier: GPL-3.0-or-later
#include "eval_report.hpp"
#include "report_text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "sagitta/core/parameter_catalogue.hpp"
#include "sagitta/core/errors.hpp"

namespace sagitta::cli {
namespace fs = std::filesystem;
namespace {

const cv::Scalar kInk(40, 40, 40), kGrid(220, 220, 220), kBox(200, 140, 60), kRed(40, 40, 200);

void text(cv::Mat& image, const std::string& s, cv::Point at, double size = 0.4, cv::Scalar colour = kInk) {
  cv::putText(image, s, at, cv::FONT_HERSHEY_SIMPLEX, size, colour, 1, cv::LINE_AA);
}

// Horizontal box plots: median, IQR box, 5-95 % whiskers, per landmark, in mm.
cv::Mat landmarkPlot(const models::Evaluation& e) {
  const int rowH = 16, left = 80, width = 900, top = 40;
  const int n = static_cast<int>(core::kLandmarkCount);
  cv::Mat image(top + n * rowH + 40, left + width + 20, CV_8UC3, cv::Scalar(255, 255, 255));
  double maxMm = 1.0;
  std::vector<std::array<double, 5>> q(core::kLandmarkCount);
  for (std::size_t i = 0; i < core::kLandmarkCount; ++i) {
    std::vector<double> v;
    for (const auto& img : e.images) {
      if (img.accepted) v.push_back(img.errors.mm[i]);
    }
    q[i] = {models::quantile(v, 0.05), models::quantile(v, 0.25), models::quantile(v, 0.5), models::quantile(v, 0.75),
            models::quantile(v, 0.95)};
    if (!std::isnan(q[i][4])) maxMm = std::max(maxMm, q[i][4]);
  }
  maxMm = std::ceil(maxMm);
  const auto x = [&](double mm) { return left + static_cast<int>(std::lround(width * std::min(mm, maxMm) / maxMm)); };
  text(image, "landmark error (mm): median, IQR box, 5-95% whiskers", {left, 20}, 0.5);
  for (int t = 0; t <= static_cast<int>(maxMm); t += std::max(1, static_cast<int>(maxMm) / 10)) {
    cv::line(image, {x(t), top - 4}, {x(t), top + n * rowH}, kGrid);
    text(image, std::to_string(t), {x(t) - 4, top + n * rowH + 14});
  }
  cv::line(image, {x(2.0), top - 4}, {x(2.0), top + n * rowH}, kRed);
  for (int i = 0; i < n; ++i) {
    const auto& qi = q[static_cast<std::size_t>(i)];
    const int y = top + i * rowH + rowH / 2;
    text(image, std::string(core::landmarkCatalogue()[static_cast<std::size_t>(i)].key), {4, y + 4}, 0.35);
    if (std::isnan(qi[2])) continue;
    cv::line(image, {x(qi[0]), y}, {x(qi[4]), y}, kInk);
    cv::rectangle(image, {x(qi[1]), y - 5}, {x(qi[3]), y + 5}, kBox, cv::FILLED);
    cv::line(image, {x(qi[2]), y - 6}, {x(qi[2]), y + 6}, kInk, 2);
  }
  return image;
}

// Bland-Altman: difference against mean, bias and +-1.96 SD lines, one panel per parameter.
cv::Mat blandAltman(const models::Evaluation& e) {
  const int pw = 300, ph = 220, cols = 6, rows = 3;
  cv::Mat image(rows * ph, cols * pw, CV_8UC3, cv::Scalar(255, 255, 255));
  for (std::size_t k = 0; k < core::kParameterCount; ++k) {
    const cv::Rect panel(static_cast<int>(k % cols) * pw, static_cast<int>(k / cols) * ph, pw, ph);
    cv::Mat p = image(panel);
    std::vector<cv::Point2d> points;
    for (const auto& img : e.images) {
      if (img.accepted && !std::isnan(img.predicted[k]) && !std::isnan(img.truth[k])) {
        points.emplace_back(0.5 * (img.predicted[k] + img.truth[k]), img.predicted[k] - img.truth[k]);
      }
    }
    const auto& info = core::parameterCatalogue()[k];
    const auto& s = e.parameters[k];
    text(p, std::string(info.key) + "  bias " + fixedOrDash(s.meanDifference, 2) + "  SD " + fixedOrDash(s.sdDifference, 2), {8, 16});
    cv::rectangle(p, {40, 24}, {pw - 10, ph - 24}, kGrid);
    if (points.empty()) continue;
    double x0 = points[0].x, x1 = x0, ymax = 1e-6;
    for (const auto& q : points) {
      x0 = std::min(x0, q.x);
      x1 = std::max(x1, q.x);
      ymax = std::max(ymax, std::abs(q.y));
    }
    ymax = std::max(ymax, std::abs(s.meanDifference) + 2.0 * s.sdDifference) * 1.1;
    if (x1 - x0 < 1e-6) x1 = x0 + 1.0;
    const auto map = [&](double x, double y) {
      return cv::Point(40 + static_cast<int>((x - x0) / (x1 - x0) * (pw - 60)),
                       ph / 2 - static_cast<int>(y / ymax * (ph / 2 - 28)));
    };
    for (const double level : {s.meanDifference, s.meanDifference + 1.96 * s.sdDifference, s.meanDifference - 1.96 * s.sdDifference}) {
      cv::line(p, map(x0, level), map(x1, level), level == s.meanDifference ? kBox : kRed, 1, cv::LINE_AA);
    }
    cv::line(p, map(x0, 0.0), map(x1, 0.0), kGrid);
    for (const auto& q : points) cv::circle(p, map(q.x, q.y), 2, kInk, cv::FILLED, cv::LINE_AA);
    text(p, fixedOrDash(x0, 0), {40, ph - 8}, 0.35);
    text(p, fixedOrDash(x1, 0), {pw - 40, ph - 8}, 0.35);
    text(p, "+" + fixedOrDash(ymax, 1), {2, 34}, 0.3);
    text(p, "-" + fixedOrDash(ymax, 1), {2, ph - 26}, 0.3);
  }
  return image;
}

}  // namespace

std::string writeEvaluationReport(const models::Evaluation& e, const EvalContext& c, const std::string& folder) {
  fs::create_directories(folder);
  std::size_t accepted = 0, withheldImages = 0;
  double inference = 0.0;
  for (const auto& img : e.images) {
    accepted += img.accepted ? 1 : 0;
    withheldImages += img.withheld.empty() ? 0U : 1U;
    inference += img.inferenceSeconds;
  }
  std::ostringstream md;
  md << "# Evaluation of " << c.bundleName << " " << c.bundleVersion << "\n\n"
     << "- bundle sha256: `" << c.bundleSha256 << "`\n- model: " << c.composition << "\n- data: `" << c.data << "`\n- images: " << e.images.size()
     << ", accepted by the gate and the fail-closed checks: " << accepted << " (" << withheldImages
     << " with parameters withheld by a failed check; they count as missing)\n- device: " << c.device << ", mean inference "
     << fixedOrDash(1000.0 * inference / static_cast<double>(std::max<std::size_t>(1, e.images.size())), 0) << " ms per image (full-size decode excluded)\n\n"
     << "## Landmarks (error in mm; seeds/000 eq. 5-8)\n\n"
     << "Median over all landmarks: " << fixedOrDash(e.landmarks.medianMmAll, 2) << " mm; worst landmark median: "
     << fixedOrDash(e.landmarks.worstMedianMm, 2) << " mm; selection error (eq. 8): " << fixedOrDash(e.landmarks.selectionError, 3)
     << ".\n\n| landmark | median | Q1 | Q3 | P95 | median weighted (eq. 7) |\n|---|---|---|---|---|---|\n";
  std::ostringstream lcsv;
  lcsv << "landmark,median_mm,q1_mm,q3_mm,p95_mm,median_weighted\n";
  for (const auto& info : core::landmarkCatalogue()) {
    const auto i = core::indexOf(info.id);
    std::vector<double> v;
    for (const auto& img : e.images) {
      if (img.accepted) v.push_back(img.errors.mm[i]);
    }
    const auto row = std::array<double, 4>{models::quantile(v, 0.5), models::quantile(v, 0.25),
                                           models::quantile(v, 0.75), models::quantile(v, 0.95)};
    md << "| " << info.key << " | " << fixedOrDash(row[0], 2) << " | " << fixedOrDash(row[1], 2) << " | " << fixedOrDash(row[2], 2) << " | "
       << fixedOrDash(row[3], 2) << " | " << fixedOrDash(e.landmarks.medianWeighted[i], 3) << " |\n";
    lcsv << info.key << ',' << row[0] << ',' << row[1] << ',' << row[2] << ',' << row[3] << ','
         << e.landmarks.medianWeighted[i] << '\n';
  }
  md << "\n## Parameters (predicted against measured on the true landmarks; seeds/000 Table 1)\n\n"
     << "| parameter | n | MAE (SD) | median (IQR) | Pearson R | bias | paper MAE | below paper |\n"
     << "|---|---|---|---|---|---|---|---|\n";
  std::ostringstream pcsv;
  pcsv << "parameter,unit,n,mae,sd_abs,median_abs,q1_abs,q3_abs,pearson_r,bias,sd_difference,paper_mae\n";
  for (const auto& info : core::parameterCatalogue()) {
    const auto k = core::indexOf(info.id);
    const auto& s = e.parameters[k];
    const int digits = info.id == core::ParameterId::BARREY ? 3 : 2;
    md << "| " << info.key << " | " << s.n << " | " << fixedOrDash(s.mae, digits) << " (" << fixedOrDash(s.sdAbs, digits) << ") | "
       << fixedOrDash(s.medianAbs, digits) << " (" << fixedOrDash(s.q3Abs - s.q1Abs, digits) << ") | " << fixedOrDash(s.pearsonR, 3)
       << " | " << fixedOrDash(s.meanDifference, digits) << " | " << fixedOrDash(kPaperMae[k], 1) << " | "
       << (s.n > 0 && s.mae < kPaperMae[k] ? "yes" : "no") << " |\n";
    pcsv << info.key << ',' << (info.unit == core::ParameterUnit::Length ? "mm" : info.unit == core::ParameterUnit::Ratio ? "ratio" : "deg")
         << ',' << s.n << ',' << s.mae << ',' << s.sdAbs << ',' << s.medianAbs << ',' << s.q1Abs << ',' << s.q3Abs << ','
         << s.pearsonR << ',' << s.meanDifference << ',' << s.sdDifference << ',' << kPaperMae[k] << '\n';
  }
  std::ostringstream icsv;
  icsv << "image,accepted,reasons,median_error_mm,inference_ms,withheld\n";
  for (const auto& img : e.images) {
    std::string reasons;
    for (const auto& r : img.reasons) reasons += (reasons.empty() ? "" : "; ") + r;
    std::replace(reasons.begin(), reasons.end(), ',', ' ');
    icsv << img.name << ',' << (img.accepted ? 1 : 0) << ',' << reasons << ','
         << models::median(std::vector<double>(img.errors.mm.begin(), img.errors.mm.end())) << ','
         << 1000.0 * img.inferenceSeconds << ',';
    for (std::size_t i = 0; i < img.withheld.size(); ++i) icsv << (i ? " " : "") << core::parameterInfo(img.withheld[i]).key;
    icsv << '\n';
  }
  // Every landmark of every image, for audits of single films and for comparing two models.
  std::ostringstream xcsv;
  xcsv << "image,landmark,x,y,sigma_mm,true_x,true_y,error_mm\n";
  for (const auto& img : e.images) {
    for (const auto& info : core::landmarkCatalogue()) {
      const auto& p = img.predictedLandmarks.get(info.id);
      const auto& t = img.trueLandmarks.get(info.id);
      if (!p && !t) continue;
      xcsv << img.name << ',' << info.key << ',' << (p ? fixedOrDash(p->x, 2) : "") << ',' << (p ? fixedOrDash(p->y, 2) : "") << ','
           << (p && p->sigmaMm ? fixedOrDash(*p->sigmaMm, 2) : "") << ',' << (t ? fixedOrDash(t->x, 2) : "") << ',' << (t ? fixedOrDash(t->y, 2) : "")
           << ',' << (p && t ? fixedOrDash(img.errors.mm[core::indexOf(info.id)], 3) : "") << '\n';
    }
  }
  md << "\nPlots: `landmark_errors.png` (per-landmark distribution, 2 mm marked in red) and `bland_altman.png`.\n";
  const fs::path out(folder);
  writeTextFile(out / "evaluation.md", md.str());
  writeTextFile(out / "landmarks.csv", lcsv.str());
  writeTextFile(out / "parameters.csv", pcsv.str());
  writeTextFile(out / "images.csv", icsv.str());
  writeTextFile(out / "predictions.csv", xcsv.str());
  cv::imwrite((out / "landmark_errors.png").string(), landmarkPlot(e));
  cv::imwrite((out / "bland_altman.png").string(), blandAltman(e));
  return md.str();
}

}  // namespace sagitta::cli
