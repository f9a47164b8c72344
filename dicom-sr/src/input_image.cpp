// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/dicom/input_image.hpp"

#include <cmath>
#include <fstream>
#include <iterator>
#include <sstream>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "sagitta/core/errors.hpp"
#include "sagitta/dicom/errors.hpp"

namespace sagitta::dicom {
namespace {

// Files larger than this are not images anyone photographs or exports (a 12000 x 10000 16-bit
// PNG is about 240 MB uncompressed, far less compressed).
constexpr std::size_t kMaxRasterFileBytes = 256U * 1024U * 1024U;

bool startsWith(const std::string& head, const char* magic, std::size_t n, std::size_t at = 0) {
  return head.size() >= at + n && head.compare(at, n, magic, n) == 0;
}

bool isRasterSignature(const std::string& head) {
  return startsWith(head, "\x89PNG\r\n\x1a\n", 8) || startsWith(head, "\xff\xd8\xff", 3) ||
         (startsWith(head, "RIFF", 4) && startsWith(head, "WEBP", 4, 8));
}

std::string readHead(const std::string& path, std::size_t n) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw NotDicom("cannot open " + path);
  std::string head(n, '\0');
  in.read(head.data(), static_cast<std::streamsize>(n));
  head.resize(static_cast<std::size_t>(in.gcount()));
  return head;
}

std::string spacingText(double mm) {
  std::ostringstream s;
  s.precision(4);
  s << mm;
  return s.str();
}

core::Calibration givenCalibration(double mm) {
  if (!std::isfinite(mm) || mm <= 0.0) throw core::InvalidCalibration("--pixel-spacing must be a positive number of mm");
  auto calibration = core::Calibration::fromSpacing(core::CalibrationKind::PixelSpacing, mm, mm);
  calibration.note = "pixel spacing " + spacingText(mm) + " mm given by the user (not from the image)";
  return calibration;
}

}  // namespace

InputKind sniffInputKind(const std::string& path) {
  return isRasterSignature(readHead(path, 16)) ? InputKind::Raster : InputKind::Dicom;
}

Radiograph readRasterImage(const std::string& path, std::optional<double> pixelSpacingMm, const ReadLimits& limits) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw NotAnImage("cannot open " + path);
  const auto size = static_cast<std::size_t>(in.tellg());
  if (size == 0) throw NotAnImage("empty image file");
  if (size > kMaxRasterFileBytes) throw NotAnImage("image file larger than " + std::to_string(kMaxRasterFileBytes >> 20) + " MB");
  in.seekg(0);
  std::vector<unsigned char> bytes(size);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
  if (static_cast<std::size_t>(in.gcount()) != size) throw NotAnImage("cannot read " + path);
  if (!isRasterSignature(std::string(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(16, size))))) {
    throw NotAnImage("not a PNG, JPEG or WebP image");
  }
  const cv::Mat decoded = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);
  if (decoded.empty()) throw NotAnImage("the image cannot be decoded (corrupt or truncated)");
  if (static_cast<std::size_t>(decoded.rows) * static_cast<std::size_t>(decoded.cols) > limits.maxPixels) {
    throw NotAnImage("image of " + std::to_string(decoded.cols) + " x " + std::to_string(decoded.rows) +
                     " pixels is larger than the limit of " + std::to_string(limits.maxPixels));
  }

  Radiograph r;
  cv::Mat grey;
  const int channels = decoded.channels();
  if (channels == 1) {
    grey = decoded;
    r.info.photometric = "MONOCHROME2";
  } else {
    cv::cvtColor(decoded, grey, channels == 4 ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGR2GRAY);
    r.info.photometric = "RGB";
    r.warnings.push_back("colour image converted to grey (luma)");
  }
  if (grey.depth() == CV_16U) {
    // A 16-bit export: stretch its stored range to 8 bits as displayed.
    cv::normalize(grey, r.display, 0, 255, cv::NORM_MINMAX, CV_8U);
    r.warnings.push_back("16-bit image stretched to 8 bits");
  } else if (grey.depth() == CV_8U) {
    r.display = grey;
  } else {
    throw NotAnImage("unsupported image sample depth");
  }
  r.window = "none";
  r.info.rows = r.display.rows;
  r.info.columns = r.display.cols;
  r.info.samplesPerPixel = channels == 1 ? 1 : 3;
  r.info.bitsAllocated = r.info.bitsStored = decoded.depth() == CV_16U ? 16 : 8;
  r.info.calibration = pixelSpacingMm ? givenCalibration(*pixelSpacingMm) : core::Calibration::uncalibrated();
  return r;
}

Radiograph readInputImage(const std::string& path, std::optional<double> pixelSpacingMm, const ReadLimits& limits) {
  if (sniffInputKind(path) == InputKind::Raster) return readRasterImage(path, pixelSpacingMm, limits);
  auto r = readRadiograph(path, limits);
  if (pixelSpacingMm) {
    if (r.info.calibration.calibrated()) {
      r.warnings.push_back("--pixel-spacing ignored: the file has its own calibration (" + r.info.calibration.note + ")");
    } else {
      r.info.calibration = givenCalibration(*pixelSpacingMm);
      r.warnings.push_back("the file has no pixel spacing: using the one given on the command line");
    }
  }
  return r;
}

}  // namespace sagitta::dicom
