// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/phantom/optical.hpp"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "sagitta/core/landmark_catalogue.hpp"

namespace sagitta::phantom {
namespace {

cv::Point2d apply(const cv::Matx33d& h, cv::Point2d p) {
  const cv::Vec3d q = h * cv::Vec3d(p.x, p.y, 1.0);
  return {q[0] / q[2], q[1] / q[2]};
}

// Film pixel -> photo pixel: fit the film into the frame, jitter the corners (perspective),
// rotate 1-5 deg, and shift (framing / cropping).
cv::Matx33d chooseHomography(const cv::Size& film, const cv::Size& photo, bool screenshot, Rng& rng) {
  const double fit = std::min(photo.width / static_cast<double>(film.width), photo.height / static_cast<double>(film.height)) *
                     (screenshot ? rng.uniform(0.85, 0.98) : rng.uniform(0.8, 1.02));
  const cv::Point2d centre(0.5 * photo.width + rng.normal(0.0, 0.02) * photo.width,
                           0.5 * photo.height + rng.normal(0.0, 0.02) * photo.height);
  const double angle = screenshot ? 0.0 : (rng.chance(0.5) ? 1.0 : -1.0) * rng.uniform(1.0, 5.0) * kRadPerDeg;
  const double jitter = screenshot ? 0.0 : rng.uniform(0.01, 0.06);
  std::vector<cv::Point2f> from, to;
  const std::vector<cv::Point2d> corners{{0, 0}, {1, 0}, {1, 1}, {0, 1}};
  for (const auto& k : corners) {
    from.emplace_back(static_cast<float>(k.x * film.width), static_cast<float>(k.y * film.height));
    const double x = (k.x - 0.5) * film.width * fit * (1.0 + rng.normal(0.0, jitter));
    const double y = (k.y - 0.5) * film.height * fit * (1.0 + rng.normal(0.0, jitter));
    to.emplace_back(static_cast<float>(centre.x + x * std::cos(angle) - y * std::sin(angle)),
                    static_cast<float>(centre.y + x * std::sin(angle) + y * std::cos(angle)));
  }
  return cv::Matx33d(cv::getPerspectiveTransform(from, to));
}

void addMoire(cv::Mat& image, Rng& rng) {
  const double period = rng.uniform(2.5, 7.0), angle = rng.uniform(0.0, 3.14159), depth = rng.uniform(0.03, 0.12);
  const double kx = std::cos(angle) * 6.28318 / period, ky = std::sin(angle) * 6.28318 / period;
  for (int r = 0; r < image.rows; ++r) {
    auto* row = image.ptr<float>(r);
    for (int c = 0; c < image.cols; ++c) row[c] = static_cast<float>(static_cast<double>(row[c]) * (1.0 + depth * std::sin(kx * c + ky * r)));
  }
}

void addLighting(cv::Mat& image, Rng& rng, bool glare) {
  const double gx = rng.uniform(-0.25, 0.25), gy = rng.uniform(-0.25, 0.25), vignette = rng.uniform(0.0, 0.35);
  const cv::Point2d spot(rng.uniform(0.1, 0.9) * image.cols, rng.uniform(0.1, 0.9) * image.rows);
  const double spotSigma = rng.uniform(0.05, 0.2) * std::max(image.cols, image.rows);
  const double spotGain = glare ? rng.uniform(40.0, 140.0) : 0.0;
  for (int r = 0; r < image.rows; ++r) {
    auto* row = image.ptr<float>(r);
    const double y = r / static_cast<double>(image.rows) - 0.5;
    for (int c = 0; c < image.cols; ++c) {
      const double x = c / static_cast<double>(image.cols) - 0.5;
      const double light = 1.0 + gx * x + gy * y - vignette * (x * x + y * y) * 2.0;
      const double d2 = (c - spot.x) * (c - spot.x) + (r - spot.y) * (r - spot.y);
      row[c] = static_cast<float>(static_cast<double>(row[c]) * light + spotGain * std::exp(-d2 / (2.0 * spotSigma * spotSigma)));
    }
  }
}

void addScreenFrame(cv::Mat& image, Rng& rng) {
  // A viewer's chrome: a toolbar and overlay text on black.
  cv::rectangle(image, {0, 0, image.cols, std::max(8, image.rows / 30)}, cv::Scalar(rng.uniform(40, 80)), cv::FILLED);
  cv::putText(image, "W: 4095 L: 2048", {6, image.rows - 10}, cv::FONT_HERSHEY_SIMPLEX, 0.4, cv::Scalar(220), 1,
              cv::LINE_AA);
  cv::putText(image, "SPINE LAT", {image.cols - 90, 30 + image.rows / 30}, cv::FONT_HERSHEY_SIMPLEX, 0.4,
              cv::Scalar(220), 1, cv::LINE_AA);
}

}  // namespace

Photo photograph(const PhantomCase& c) {
  Rng rng(mixSeed(c.seed ^ mixSeed(static_cast<std::uint64_t>(c.index) + 0x0F7F)));
  Photo photo;
  const double kind = rng.uniform();
  photo.kind = kind < 0.25 ? "screenshot" : kind < 0.8 ? "monitor" : "lightbox";
  const bool screenshot = photo.kind == "screenshot";

  // Output size: the long side 600-1384 px, portrait, short side at least 319 px (seeds/004).
  const int height = rng.integer(800, 1384);
  const int width = std::clamp(static_cast<int>(height * rng.uniform(0.45, 0.7)), 319, 934);
  const cv::Size size(width, height);

  cv::Mat film = c.windowed8();
  photo.homography = chooseHomography(film.size(), size, screenshot, rng);
  // OpenCV warps with pixel centres at integers; the homography is in DICOM coordinates.
  const cv::Matx33d shift(1, 0, 0.5, 0, 1, 0.5, 0, 0, 1), unshift(1, 0, -0.5, 0, 1, -0.5, 0, 0, 1);
  const cv::Matx33d cvH = unshift * photo.homography * shift;
  const double background = photo.kind == "lightbox" ? rng.uniform(200, 250) : rng.uniform(0, 25);
  cv::Mat warped;
  // Pre-shrink large films so that warping does not alias (the homography accounts for it).
  const double shrink = std::min(1.0, 2.0 * height / static_cast<double>(film.rows));
  if (shrink < 1.0) {
    cv::Mat small;
    cv::resize(film, small, cv::Size(), shrink, shrink, cv::INTER_AREA);
    const cv::Matx33d grow(1.0 / shrink, 0, 0.5 / shrink - 0.5, 0, 1.0 / shrink, 0.5 / shrink - 0.5, 0, 0, 1);
    cv::warpPerspective(small, warped, cvH * grow, size, cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(background));
  } else {
    cv::warpPerspective(film, warped, cvH, size, cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(background));
  }
  if (screenshot) addScreenFrame(warped, rng);

  cv::Mat light;
  warped.convertTo(light, CV_32F);
  if (photo.kind == "monitor") addMoire(light, rng);
  if (!screenshot) addLighting(light, rng, rng.chance(0.7));
  const double blur = screenshot ? 0.0 : rng.uniform(0.3, 1.3);
  if (blur > 0.0) cv::GaussianBlur(light, light, cv::Size(), blur);
  if (!screenshot && rng.chance(0.2)) {  // hand shake
    cv::Mat kernel = cv::Mat::zeros(7, 7, CV_32F);
    cv::line(kernel, {0, rng.integer(2, 4)}, {6, rng.integer(2, 4)}, cv::Scalar(1.0));
    kernel /= cv::sum(kernel)[0];
    cv::filter2D(light, light, -1, kernel);
  }
  cv::Mat noise(light.size(), CV_32F);
  cv::RNG cvRng(rng.next());
  cvRng.fill(noise, cv::RNG::NORMAL, 0.0, screenshot ? 0.5 : rng.uniform(2.0, 6.0));
  light += noise;
  // Colour cast of the camera or monitor.
  std::vector<cv::Mat> channels(3);
  const double cast = screenshot ? 0.0 : 0.08;
  for (auto& channel : channels) light.convertTo(channel, CV_8U, 1.0 + rng.uniform(-cast, cast));
  cv::merge(channels, photo.image);
  photo.jpegQuality = rng.integer(55, 92);

  for (const auto& [name, outline] : c.bodyOutlines()) {
    std::vector<cv::Point2d> mapped;
    bool inside = true;
    for (const auto& p : outline) {
      const cv::Point2d q = apply(photo.homography, p);
      inside = inside && q.x >= 0 && q.y >= 0 && q.x <= width && q.y <= height;
      mapped.push_back(q);
    }
    if (inside) photo.vertebrae[name] = mapped;
  }
  return photo;
}

std::string opticalTruthToJson(const PhantomCase& c, const Photo& photo) {
  using Json = nlohmann::ordered_json;
  Json vertebrae = Json::array();
  for (const auto& info : core::bodyCentres()) {
    const auto key = core::landmarkKey(info);
    const std::string name(key.substr(0, key.find('_')));
    const auto it = photo.vertebrae.find(name);
    if (it == photo.vertebrae.end()) continue;
    Json polygon = Json::array();
    for (const auto& p : it->second) polygon.push_back({p.x, p.y});
    const char* cls = name[0] == 'C' ? "cervical" : name[0] == 'T' ? "thoracic" : "lumbar";
    vertebrae.push_back({{"label", name}, {"class", cls}, {"polygon", polygon}});
  }
  if (const auto it = photo.vertebrae.find("S1"); it != photo.vertebrae.end()) {
    Json polygon = Json::array();
    for (const auto& p : it->second) polygon.push_back({p.x, p.y});
    vertebrae.push_back({{"label", "S1"}, {"class", "sacral"}, {"polygon", polygon}});
  }
  Json landmarks = Json::array();
  for (const auto& info : core::landmarkCatalogue()) {
    const auto& l = c.truth.landmarks.get(info.id);
    if (!l) continue;
    const cv::Point2d q = apply(photo.homography, {l->x, l->y});
    if (q.x < 0 || q.y < 0 || q.x > photo.image.cols || q.y > photo.image.rows) continue;
    landmarks.push_back({{"id", info.key}, {"x", q.x}, {"y", q.y}});
  }
  // seeds/004's angles on the film itself (before the photo's perspective).
  const auto& v = c.spine.vertebrae;
  const double tk = v[17].inferiorInclination - v[10].superiorInclination;  // T5 superior to T12 inferior
  const double ll = v[18].superiorInclination - v[22].inferiorInclination;  // L1 superior to L5 inferior
  Json homography = Json::array();
  for (int r = 0; r < 3; ++r) homography.push_back({photo.homography(r, 0), photo.homography(r, 1), photo.homography(r, 2)});
  const Json root{{"image", {{"columns", photo.image.cols}, {"rows", photo.image.rows}, {"pixel_spacing_mm", nullptr},
                             {"calibration", "none"}}},
                  {"landmarks", landmarks},
                  {"optical", {{"kind", photo.kind}, {"jpeg_quality", photo.jpegQuality}, {"homography", homography},
                               {"film", {{"columns", c.pixels.cols}, {"rows", c.pixels.rows}}}}},
                  {"vertebrae", vertebrae},
                  {"angles_deg", {{"TK_T5_T12", tk}, {"LL_L1_L5", ll}, {"SS", c.spine.sacralSlope}}}};
  return root.dump(2);
}

}  // namespace sagitta::phantom
