// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/phantom/rasterizer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <opencv2/imgproc.hpp>

namespace sagitta::phantom {
namespace {

constexpr int kShift = 4;  // fixed-point bits for sub-pixel drawing
constexpr double kScale = 1 << kShift;

bool inGroup(Layer layer, LayerGroup group) { return (layer == Layer::Trabecular) == (group == LayerGroup::Trabecular); }

// Bounding box of pixel points, padded, clipped to the image; empty when outside.
cv::Rect boundsOf(const std::vector<cv::Point2d>& points, double pad, const cv::Size& size) {
  double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
  for (const auto& p : points) {
    x0 = std::min(x0, p.x); y0 = std::min(y0, p.y);
    x1 = std::max(x1, p.x); y1 = std::max(y1, p.y);
  }
  const cv::Rect box(static_cast<int>(std::floor(x0 - pad)), static_cast<int>(std::floor(y0 - pad)),
                     static_cast<int>(std::ceil(x1 - x0 + 2 * pad)) + 2, static_cast<int>(std::ceil(y1 - y0 + 2 * pad)) + 2);
  return box & cv::Rect(0, 0, size.width, size.height);
}

// OpenCV draws with pixel centres at integers; DICOM puts them at +0.5.
std::vector<cv::Point> fixedPoint(const std::vector<cv::Point2d>& points, const cv::Rect& roi) {
  std::vector<cv::Point> out;
  out.reserve(points.size());
  for (const auto& p : points) {
    out.emplace_back(static_cast<int>(std::lround((p.x - 0.5 - roi.x) * kScale)),
                     static_cast<int>(std::lround((p.y - 0.5 - roi.y) * kScale)));
  }
  return out;
}

// layer(roi) += value * mask / 255, without temporaries (branch-free: vectorises).
void accumulate(cv::Mat& layer, const cv::Rect& roi, const cv::Mat& mask, double value) {
  const auto scale = static_cast<float>(value / 255.0);
  for (int r = 0; r < roi.height; ++r) {
    const std::uint8_t* m = mask.ptr<std::uint8_t>(r);
    float* out = layer.ptr<float>(roi.y + r) + roi.x;
    for (int c = 0; c < roi.width; ++c) out[c] += scale * static_cast<float>(m[c]);
  }
}

std::vector<cv::Point2d> toPixels(const std::vector<Vec>& points, const Placement& placement) {
  std::vector<cv::Point2d> out;
  out.reserve(points.size());
  for (const auto& p : points) out.push_back(placement.toPixel(p));
  return out;
}

void drawPolygon(const Polygon& polygon, const Placement& placement, cv::Mat& layer) {
  const auto pixels = toPixels(polygon.points, placement);
  const cv::Rect roi = boundsOf(pixels, 2.0, layer.size());
  if (roi.empty()) return;
  cv::Mat mask = cv::Mat::zeros(roi.size(), CV_8U);
  const std::vector<std::vector<cv::Point>> contours{fixedPoint(pixels, roi)};
  cv::fillPoly(mask, contours, cv::Scalar(255), cv::LINE_AA, kShift);
  accumulate(layer, roi, mask, polygon.value);
}

void drawStroke(const Stroke& stroke, const Placement& placement, cv::Mat& layer) {
  const double widthPx = stroke.widthMm / placement.columnSpacing;
  const int thickness = std::max(1, static_cast<int>(std::lround(widthPx)));
  // Keep the line integral when the drawn line is wider than the structure.
  const double value = stroke.value * std::min(1.0, widthPx / thickness);
  const auto pixels = toPixels(stroke.points, placement);
  const cv::Rect roi = boundsOf(pixels, thickness + 2.0, layer.size());
  if (roi.empty()) return;
  cv::Mat mask = cv::Mat::zeros(roi.size(), CV_8U);
  const std::vector<std::vector<cv::Point>> lines{fixedPoint(pixels, roi)};
  cv::polylines(mask, lines, stroke.closed, cv::Scalar(255), thickness, cv::LINE_AA, kShift);
  accumulate(layer, roi, mask, value);
}

void drawSphere(const Sphere& sphere, const Placement& placement, cv::Mat& layer) {
  const cv::Point2d c = placement.toPixel(sphere.centre);
  const double rx = sphere.radius / placement.columnSpacing, ry = sphere.radius / placement.rowSpacing;
  const cv::Rect roi = cv::Rect(static_cast<int>(std::floor(c.x - rx - 1)), static_cast<int>(std::floor(c.y - ry - 1)),
                                static_cast<int>(2 * rx + 3), static_cast<int>(2 * ry + 3)) &
                       cv::Rect(0, 0, layer.cols, layer.rows);
  const double r2 = sphere.radius * sphere.radius;
  const double inner = std::max(0.0, sphere.radius - sphere.shell);
  const double i2 = sphere.shell > 0.0 ? inner * inner : 0.0;
  for (int y = roi.y; y < roi.y + roi.height; ++y) {
    float* row = layer.ptr<float>(y);
    const double dy = (y + 0.5 - c.y) * placement.rowSpacing;
    for (int x = roi.x; x < roi.x + roi.width; ++x) {
      const double dx = (x + 0.5 - c.x) * placement.columnSpacing;
      const double d2 = dx * dx + dy * dy;
      if (d2 >= r2) continue;
      double chord = 2.0 * std::sqrt(r2 - d2);
      if (i2 > 0.0 && d2 < i2) chord -= 2.0 * std::sqrt(i2 - d2);
      row[x] += static_cast<float>(sphere.muPerMm * chord);
    }
  }
}

void drawLabel(const Label& label, const Placement& placement, cv::Mat& layer) {
  const cv::Point2d p = placement.toPixel(label.position);
  const double heightPx = label.heightMm / placement.rowSpacing;
  const double fontScale = heightPx / 22.0;  // FONT_HERSHEY_SIMPLEX capital height ~22 px at scale 1
  const int thickness = std::max(1, static_cast<int>(std::lround(heightPx / 8.0)));
  int baseline = 0;
  const cv::Size size = cv::getTextSize(label.text, cv::FONT_HERSHEY_SIMPLEX, fontScale, thickness, &baseline);
  const cv::Rect roi = cv::Rect(static_cast<int>(p.x) - 2, static_cast<int>(p.y) - size.height - 2, size.width + 4,
                                size.height + baseline + 4) &
                       cv::Rect(0, 0, layer.cols, layer.rows);
  if (roi.empty()) return;
  cv::Mat mask = cv::Mat::zeros(roi.size(), CV_8U);
  cv::putText(mask, label.text, {static_cast<int>(p.x) - roi.x, static_cast<int>(p.y) - roi.y},
              cv::FONT_HERSHEY_SIMPLEX, fontScale, cv::Scalar(255), thickness, cv::LINE_AA);
  accumulate(layer, roi, mask, label.value);
}

// Linear interpolation of the envelope at height y (rows sorted by decreasing y).
EnvelopeRow envelopeAt(const std::vector<EnvelopeRow>& rows, double y) {
  if (y >= rows.front().y) return rows.front();
  if (y <= rows.back().y) return rows.back();
  const auto it = std::lower_bound(rows.begin(), rows.end(), y,
                                   [](const EnvelopeRow& r, double value) { return r.y > value; });
  const EnvelopeRow& b = *it;
  const EnvelopeRow& a = *(it - 1);
  const double t = (a.y - y) / (a.y - b.y);
  auto lerp = [t](double u, double v) { return u + t * (v - u); };
  return {y,
          lerp(a.posterior, b.posterior),
          lerp(a.anterior, b.anterior),
          lerp(a.width, b.width),
          lerp(a.lungPosterior, b.lungPosterior),
          lerp(a.lungAnterior, b.lungAnterior),
          lerp(a.lungWidth, b.lungWidth)};
}

// Chord of an ellipse-section body of given AP extent and width, at x.
double chord(double x, double lo, double hi, double width) {
  if (x <= lo || x >= hi) return 0.0;
  const double t = (2.0 * x - lo - hi) / (hi - lo);
  return width * std::sqrt(1.0 - t * t);
}

double segmentDistance(Vec p, Vec a, Vec b) {
  const Vec ab = b - a;
  const double t = std::clamp(((p.x - a.x) * ab.x + (p.y - a.y) * ab.y) / (ab.x * ab.x + ab.y * ab.y), 0.0, 1.0);
  return norm(p - (a + t * ab));
}

}  // namespace

void rasterize(const Scene& scene, const Placement& placement, LayerGroup group, cv::Mat& image) {
  for (const auto& polygon : scene.polygons) {
    if (inGroup(polygon.layer, group)) drawPolygon(polygon, placement, image);
  }
  for (const auto& stroke : scene.strokes) {
    if (inGroup(stroke.layer, group)) drawStroke(stroke, placement, image);
  }
  for (const auto& sphere : scene.spheres) {
    if (inGroup(sphere.layer, group)) drawSphere(sphere, placement, image);
  }
  if (group == LayerGroup::Dense) {
    for (const auto& label : scene.labels) drawLabel(label, placement, image);
  }
}

void rasterize(const Scene& scene, const Placement& placement, Layers& layers) {
  rasterize(scene, placement, LayerGroup::Trabecular, layers.trabecular);
  rasterize(scene, placement, LayerGroup::Dense, layers.dense);
}

cv::Mat rasterizeSoftTissue(const Scene& scene, const Placement& placement, int factor) {
  const int cols = (placement.columns + factor - 1) / factor;
  const int rows = (placement.rows + factor - 1) / factor;
  cv::Mat field(rows, cols, CV_32F);
  for (int r = 0; r < rows; ++r) {
    float* out = field.ptr<float>(r);
    const double yPx = (r + 0.5) * factor;
    const double yMm = placement.originY - yPx * placement.rowSpacing;
    const EnvelopeRow env = envelopeAt(scene.envelope, yMm);
    for (int c = 0; c < cols; ++c) {
      const Vec p = placement.toPatient({(c + 0.5) * factor, yPx});
      double value = mu::kSoftTissue * chord(p.x, env.posterior, env.anterior, env.width);
      if (env.lungWidth > 0.0) {
        double lung = chord(p.x, env.lungPosterior, env.lungAnterior, env.lungWidth);
        const double hx = (p.x - scene.heart.centre.x) / scene.heart.radiusX;
        const double hy = (p.y - scene.heart.centre.y) / scene.heart.radiusY;
        if (hx * hx + hy * hy < 1.0) lung *= 0.35 + 0.65 * (hx * hx + hy * hy);
        value += mu::kLungDeficit * lung;
      }
      for (const auto& limb : scene.limbs) {
        const double d = segmentDistance(p, limb.from, limb.to);
        if (d < limb.radius) value += mu::kSoftTissue * 2.0 * std::sqrt(limb.radius * limb.radius - d * d);
      }
      for (const auto& bubble : scene.gas) {
        const double d = norm(p - bubble.centre);
        if (d < bubble.radius) value -= mu::kSoftTissue * 1.6 * std::sqrt(bubble.radius * bubble.radius - d * d);
      }
      out[c] = static_cast<float>(std::max(0.0, value));
    }
  }
  return field;
}

}  // namespace sagitta::phantom
