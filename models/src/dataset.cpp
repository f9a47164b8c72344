// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/models/dataset.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "sagitta/core/errors.hpp"
#include "sagitta/core/landmarks_json.hpp"
#include "sagitta/core/sha256.hpp"
#include "sagitta/dicom/errors.hpp"
#include "sagitta/dicom/radiograph.hpp"
#include "sagitta/models/errors.hpp"
#include "sagitta/models/read_file.hpp"
#include "sagitta/phantom/generator.hpp"

namespace sagitta::models {
namespace fs = std::filesystem;
namespace {

std::string readText(const fs::path& path) {
  auto text = readWholeFile(path.string());
  if (!text) throw ConfigError("cannot read " + path.string());
  return std::move(*text);
}

std::map<std::string, std::string> readPatients(const fs::path& csv) {
  std::map<std::string, std::string> patients;
  if (!fs::exists(csv)) return patients;
  std::istringstream lines(readText(csv));
  std::string line;
  while (std::getline(lines, line)) {
    const auto comma = line.find(',');
    if (comma == std::string::npos || line.empty() || line[0] == '#') continue;
    patients[line.substr(0, comma)] = line.substr(comma + 1);
  }
  return patients;
}

LabelledImage loadPair(const fs::path& json, const std::map<std::string, std::string>& patients) {
  LabelledImage image;
  image.name = json.stem().string();
  core::LandmarkFile file;
  try {
    file = core::parseLandmarksJson(readText(json));
  } catch (const core::Error& e) {
    throw ConfigError(json.string() + ": " + e.what());
  }
  const auto dcm = fs::path(json).replace_extension(".dcm");
  const auto png = fs::path(json).replace_extension(".png");
  core::Calibration calibration = file.image.calibration;
  image.patientKey = image.name;
  if (fs::exists(dcm)) {
    try {
      auto radiograph = dicom::readRadiograph(dcm.string());
      image.grey8 = radiograph.display;
      if (!radiograph.info.patient.id.empty()) image.patientKey = radiograph.info.patient.id;
      if (!calibration.calibrated()) calibration = radiograph.info.calibration;
    } catch (const std::exception& e) {
      throw ConfigError(dcm.string() + ": " + e.what());
    }
  } else {
    image.grey8 = cv::imread(png.string(), cv::IMREAD_GRAYSCALE);
    if (image.grey8.empty()) throw ConfigError(png.string() + ": not a readable PNG");
  }
  if (const auto p = patients.find(image.name); p != patients.end()) image.patientKey = p->second;
  if ((file.image.columns && *file.image.columns != image.grey8.cols) ||
      (file.image.rows && *file.image.rows != image.grey8.rows)) {
    throw ConfigError(json.string() + ": the landmarks file's image size differs from its image");
  }
  image.landmarks = file.landmarks;
  image.calibrated = calibration.calibrated();
  image.rowSpacingMm = calibration.rowSpacingMm;
  image.columnSpacingMm = calibration.columnSpacingMm;
  return image;
}

}  // namespace

LabelledImage reduceToInput(LabelledImage image, int inputHeight, int inputWidth) {
  const double s = std::min(static_cast<double>(inputHeight) / image.grey8.rows,
                            static_cast<double>(inputWidth) / image.grey8.cols);
  if (s >= 1.0) return image;
  const cv::Size reduced(std::max(1, static_cast<int>(std::lround(image.grey8.cols * s))),
                         std::max(1, static_cast<int>(std::lround(image.grey8.rows * s))));
  const double sx = static_cast<double>(reduced.width) / image.grey8.cols;
  const double sy = static_cast<double>(reduced.height) / image.grey8.rows;
  cv::Mat small;
  cv::resize(image.grey8, small, reduced, 0, 0, cv::INTER_AREA);
  image.grey8 = small;
  core::LandmarkSet scaled;
  for (const auto& info : core::landmarkCatalogue()) {
    if (const auto& l = image.landmarks.get(info.id)) scaled.set(info.id, {l->x * sx, l->y * sy, l->sigmaMm});
  }
  image.landmarks = scaled;
  image.columnSpacingMm /= sx;
  image.rowSpacingMm /= sy;
  return image;
}

std::vector<LabelledImage> generatePhantomImages(const PhantomSource& source, int inputHeight, int inputWidth,
                                                 int threads, const ProgressCallback& progress) {
  std::vector<LabelledImage> images(static_cast<std::size_t>(std::max(0, source.count)));
  phantom::GeneratorOptions options;
  options.varieties = phantom::VarietyPolicy::parse(source.variety);
  options.rows = inputHeight;
  std::atomic<std::size_t> next{0}, done{0};
  std::mutex progressMutex;
  auto work = [&] {
    for (std::size_t i = next++; i < images.size(); i = next++) {
      const int index = source.firstIndex + static_cast<int>(i);
      const auto c = phantom::generateCase(source.seed, index, options);
      LabelledImage image;
      image.name = "phantom-" + std::to_string(source.seed) + "-" + std::to_string(index);
      image.patientKey = image.name;
      image.grey8 = c.windowed8();
      image.landmarks = c.truth.landmarks;
      image.calibrated = c.truth.image.calibration.calibrated();
      image.rowSpacingMm = c.truth.image.calibration.rowSpacingMm;
      image.columnSpacingMm = c.truth.image.calibration.columnSpacingMm;
      images[i] = reduceToInput(std::move(image), inputHeight, inputWidth);
      const auto n = ++done;
      if (progress) {
        const std::lock_guard<std::mutex> lock(progressMutex);
        progress(n, images.size());
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, threads); ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  return images;
}

std::vector<LabelledImage> loadAnnotatedFolder(const std::string& folder, int inputHeight, int inputWidth,
                                               const ProgressCallback& progress) {
  if (!fs::is_directory(folder)) throw ConfigError("dataset folder " + folder + " does not exist");
  std::vector<fs::path> pairs;
  for (const auto& entry : fs::directory_iterator(folder)) {
    const auto& p = entry.path();
    if (p.extension() != ".json") continue;
    if (fs::exists(fs::path(p).replace_extension(".dcm")) || fs::exists(fs::path(p).replace_extension(".png"))) {
      pairs.push_back(p);
    }
  }
  if (pairs.empty()) throw ConfigError("dataset folder " + folder + " has no NAME.json beside a NAME.dcm or NAME.png");
  std::sort(pairs.begin(), pairs.end());
  const auto patients = readPatients(fs::path(folder) / "patients.csv");
  std::vector<LabelledImage> images;
  images.reserve(pairs.size());
  for (const auto& p : pairs) {
    images.push_back(reduceToInput(loadPair(p, patients), inputHeight, inputWidth));
    if (progress) progress(images.size(), pairs.size());
  }
  return images;
}

bool isValidationPatient(const std::string& patientKey, double validationFraction) {
  const auto digest = core::Sha256::hex(patientKey);
  const auto bucket = std::stoul(digest.substr(0, 8), nullptr, 16) % 10000UL;
  return static_cast<double>(bucket) < validationFraction * 10000.0;
}

}  // namespace sagitta::models
