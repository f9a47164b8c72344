// SPDX-License-Identifier: GPL-3.0-or-later
#include "phantom_outputs.hpp"

#include <cstdio>
#include <fstream>
#include <random>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "sagitta/core/errors.hpp"
#include "sagitta/core/landmarks_json.hpp"
#include "sagitta/models/field_of_view.hpp"
#include "sagitta/phantom/dicom_writer.hpp"
#include "sagitta/phantom/optical.hpp"
#include "sagitta/phantom/truth_json.hpp"

namespace sagitta::cli {
namespace {

namespace fs = std::filesystem;

std::string caseName(int index) {
  char name[32];
  std::snprintf(name, sizeof name, "case_%06d", index);
  return name;
}

void writeText(const fs::path& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary);
  file << text << "\n";
  if (!file) throw core::InvalidInput("cannot write " + path.string());
}

void writeImage(const fs::path& path, const cv::Mat& image, const std::vector<int>& params = {}) {
  if (!cv::imwrite(path.string(), image, params)) throw core::InvalidInput("cannot write " + path.string());
}

}  // namespace

std::optional<OutputKind> outputKindFromKey(std::string_view key) {
  if (key == "dicom") return OutputKind::Dicom;
  if (key == "png") return OutputKind::Png;
  if (key == "optical") return OutputKind::Optical;
  return std::nullopt;
}

void writeCase(const phantom::PhantomCase& c, OutputKind kind, const fs::path& dir) {
  const fs::path stem = dir / caseName(c.index);
  switch (kind) {
    case OutputKind::Png:
      writeImage(stem.string() + ".png", c.windowed8(), {cv::IMWRITE_PNG_COMPRESSION, 3});
      writeText(stem.string() + ".json", phantom::truthToJson(c));
      break;
    case OutputKind::Dicom:
      phantom::writeDicom(c, stem.string() + ".dcm");
      writeText(stem.string() + ".json", phantom::truthToJson(c));
      break;
    case OutputKind::Optical: {
      const auto photo = phantom::photograph(c);
      writeImage(stem.string() + ".jpg", photo.image, {cv::IMWRITE_JPEG_QUALITY, photo.jpegQuality});
      writeText(stem.string() + ".json", phantom::opticalTruthToJson(c, photo));
      break;
    }
  }
}

void writeCutCase(const phantom::PhantomCase& c, const std::string& field, const fs::path& dir) {
  auto kind = models::FieldOfView::Whole;
  if (field == "mixed") {
    kind = static_cast<models::FieldOfView>(static_cast<std::size_t>(c.index) % models::kFieldOfViewKinds);
  } else {
    for (std::size_t k = 0; k < models::kFieldOfViewKinds; ++k) {
      if (field == models::fieldOfViewKey(static_cast<models::FieldOfView>(k))) kind = static_cast<models::FieldOfView>(k);
    }
  }
  models::LabelledImage whole;
  whole.grey8 = c.windowed8();
  whole.landmarks = c.truth.landmarks;
  std::mt19937_64 rng(static_cast<std::uint64_t>(c.seed) * std::uint64_t{1000003} + static_cast<std::uint64_t>(c.index));
  const auto cut = models::cutToFieldOfView(whole, kind, models::FieldOfViewMix{}, rng);
  core::LandmarkFile file;
  file.image = c.truth.image;
  file.image.columns = cut.grey8.cols;
  file.image.rows = cut.grey8.rows;
  file.landmarks = cut.landmarks;
  const fs::path stem = dir / caseName(c.index);
  writeImage(stem.string() + ".png", cut.grey8, {cv::IMWRITE_PNG_COMPRESSION, 3});
  writeText(stem.string() + ".json", core::landmarksToJson(file));
}

cv::Mat thumbnail(const phantom::PhantomCase& c, int height) {
  const cv::Mat film = c.windowed8();
  cv::Mat small;
  const double scale = static_cast<double>(height) / film.rows;
  cv::resize(film, small, cv::Size(std::max(1, static_cast<int>(film.cols * scale)), height), 0, 0, cv::INTER_AREA);
  cv::Mat colour;
  cv::cvtColor(small, colour, cv::COLOR_GRAY2BGR);
  std::string label = std::string(phantom::ageGroupKey(c.patient.group));
  for (std::size_t i = 0; i < phantom::kVarietyCount; ++i) {
    if (c.patient.has(static_cast<phantom::Variety>(i))) label += " " + std::string(phantom::varietyKey(static_cast<phantom::Variety>(i)));
  }
  cv::putText(colour, caseName(c.index), {4, 14}, cv::FONT_HERSHEY_SIMPLEX, 0.4, {0, 255, 255}, 1, cv::LINE_AA);
  cv::putText(colour, label, {4, height - 6}, cv::FONT_HERSHEY_SIMPLEX, 0.35, {0, 255, 255}, 1, cv::LINE_AA);
  return colour;
}

void writeContactSheet(const std::vector<cv::Mat>& thumbnails, const std::string& path) {
  if (thumbnails.empty()) return;
  const int perRow = std::min<int>(6, static_cast<int>(thumbnails.size()));
  int cell = 0;
  for (const auto& t : thumbnails) cell = std::max(cell, t.cols);
  const int rows = (static_cast<int>(thumbnails.size()) + perRow - 1) / perRow;
  const int height = thumbnails.front().rows;
  cv::Mat sheet(rows * (height + 4), perRow * (cell + 4), CV_8UC3, cv::Scalar(40, 40, 40));
  for (std::size_t i = 0; i < thumbnails.size(); ++i) {
    const int r = static_cast<int>(i) / perRow, col = static_cast<int>(i) % perRow;
    thumbnails[i].copyTo(sheet(cv::Rect(col * (cell + 4) + 2, r * (height + 4) + 2, thumbnails[i].cols, thumbnails[i].rows)));
  }
  writeImage(path, sheet);
}

}  // namespace sagitta::cli
