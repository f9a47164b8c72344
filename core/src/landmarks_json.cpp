// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/core/landmarks_json.hpp"

#include <array>
#include <cmath>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sagitta/core/errors.hpp"

namespace sagitta::core {
namespace {

using Json = nlohmann::json;

double finiteNumber(const Json& value, const std::string& what) {
  if (!value.is_number()) throw InvalidInput(what + " must be a number");
  const double number = value.get<double>();
  if (!std::isfinite(number)) throw InvalidInput(what + " is not finite");
  return number;
}

std::optional<int> positiveInteger(const Json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer() || it->get<std::int64_t>() <= 0 ||
      it->get<std::int64_t>() > std::numeric_limits<int>::max()) {
    throw InvalidInput(std::string("image.") + name + " must be a positive integer");
  }
  return static_cast<int>(it->get<std::int64_t>());
}

ImageGeometry parseImage(const Json& root) {
  ImageGeometry image;
  const auto it = root.find("image");
  if (it == root.end() || it->is_null()) return image;
  if (!it->is_object()) throw InvalidInput("\"image\" must be an object");
  const Json& object = *it;
  image.columns = positiveInteger(object, "columns");
  image.rows = positiveInteger(object, "rows");

  std::optional<CalibrationKind> kind;
  if (const auto c = object.find("calibration"); c != object.end() && !c->is_null()) {
    if (!c->is_string()) throw InvalidInput("image.calibration must be a string");
    kind = calibrationFromKey(c->get<std::string>());
    if (!kind) {
      throw InvalidInput("image.calibration \"" + c->get<std::string>() +
                         "\" is not one of pixel_spacing, imager_pixel_spacing, "
                         "imager_pixel_spacing_magnified, none");
    }
  }
  const auto s = object.find("pixel_spacing_mm");
  const bool hasSpacing = s != object.end() && !s->is_null();
  if (!hasSpacing) {
    if (kind && *kind != CalibrationKind::None) {
      throw InvalidInput("image.calibration is \"" + std::string(calibrationKey(*kind)) +
                         "\" but image.pixel_spacing_mm is missing");
    }
    return image;
  }
  if (kind == CalibrationKind::None) {
    throw InvalidInput("image.calibration is \"none\" but image.pixel_spacing_mm is given");
  }
  if (!s->is_array() || s->size() != 2) {
    throw InvalidInput("image.pixel_spacing_mm must be [row spacing, column spacing] or null");
  }
  const double row = finiteNumber((*s)[0], "image.pixel_spacing_mm[0]");
  const double column = finiteNumber((*s)[1], "image.pixel_spacing_mm[1]");
  if (row <= 0.0 || column <= 0.0) throw InvalidInput("image.pixel_spacing_mm values must be > 0");
  image.calibration = Calibration::fromSpacing(kind.value_or(CalibrationKind::PixelSpacing), row, column);
  return image;
}

void parseLandmark(const Json& item, std::size_t index, const ImageGeometry& image, LandmarkSet& set) {
  const std::string where = "landmarks[" + std::to_string(index) + "]";
  if (!item.is_object()) throw InvalidInput(where + " must be an object");
  const auto id = item.find("id");
  if (id == item.end() || !id->is_string()) throw InvalidInput(where + ".id must be a string");
  const std::string key = id->get<std::string>();
  const auto landmark = landmarkFromKey(key);
  if (!landmark) {
    // Ids are plain ASCII identifiers; anything else is shown truncated and escaped by dump().
    // Truncation can cut a multi-byte UTF-8 character: dump() replaces it instead of throwing.
    throw InvalidInput(where + ": unknown landmark id " +
                       Json(key.substr(0, 40)).dump(-1, ' ', false, Json::error_handler_t::replace));
  }
  if (set.has(*landmark)) throw InvalidInput("landmark " + key + " given twice");
  const auto field = [&](const char* name) -> const Json& {
    const auto it = item.find(name);
    if (it == item.end()) throw InvalidInput("landmark " + key + ": \"" + name + "\" missing");
    return *it;
  };
  Landmark point;
  point.x = finiteNumber(field("x"), "landmark " + key + " x");
  point.y = finiteNumber(field("y"), "landmark " + key + " y");
  if (const auto sigma = item.find("sigma_mm"); sigma != item.end() && !sigma->is_null()) {
    point.sigmaMm = finiteNumber(*sigma, "landmark " + key + " sigma_mm");
    if (*point.sigmaMm < 0.0) throw InvalidInput("landmark " + key + " sigma_mm must be >= 0");
  }
  const bool outsideColumns = point.x < 0.0 || (image.columns && point.x > *image.columns);
  const bool outsideRows = point.y < 0.0 || (image.rows && point.y > *image.rows);
  if (outsideColumns || outsideRows) {
    std::ostringstream reason;
    reason << "landmark " << key << " at (" << point.x << ", " << point.y << ") lies outside the image";
    if (image.columns && image.rows) reason << " (" << *image.columns << " x " << *image.rows << ")";
    throw InvalidInput(reason.str());
  }
  set.set(*landmark, point);
}

}  // namespace

LandmarkFile parseLandmarksJson(std::string_view text) {
  Json root;
  try {
    root = Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {  // parse_error, and out_of_range for "1e999"
    throw InvalidInput(std::string("invalid JSON: ") + e.what());
  }
  if (!root.is_object()) throw InvalidInput("a landmarks file must be a JSON object");
  LandmarkFile file;
  file.image = parseImage(root);
  const auto landmarks = root.find("landmarks");
  if (landmarks == root.end() || !landmarks->is_array()) {
    throw InvalidInput("\"landmarks\" must be an array of {id, x, y}");
  }
  for (std::size_t i = 0; i < landmarks->size(); ++i) parseLandmark((*landmarks)[i], i, file.image, file.landmarks);
  return file;
}

std::string landmarksToJson(const LandmarkFile& file, int indent) {
  nlohmann::ordered_json image;
  image["columns"] = file.image.columns ? nlohmann::ordered_json(*file.image.columns) : nullptr;
  image["rows"] = file.image.rows ? nlohmann::ordered_json(*file.image.rows) : nullptr;
  const auto& calibration = file.image.calibration;
  if (calibration.calibrated()) {
    image["pixel_spacing_mm"] = {calibration.rowSpacingMm, calibration.columnSpacingMm};
  } else {
    image["pixel_spacing_mm"] = nullptr;
  }
  image["calibration"] = calibrationKey(calibration.kind);

  auto points = nlohmann::ordered_json::array();
  for (const auto& info : landmarkCatalogue()) {
    const auto& landmark = file.landmarks.get(info.id);
    if (!landmark) continue;
    nlohmann::ordered_json point{{"id", info.key}, {"x", landmark->x}, {"y", landmark->y}};
    if (landmark->sigmaMm) point["sigma_mm"] = *landmark->sigmaMm;
    points.push_back(std::move(point));
  }
  nlohmann::ordered_json root{{"image", std::move(image)}, {"landmarks", std::move(points)}};
  return root.dump(indent);
}

}  // namespace sagitta::core
