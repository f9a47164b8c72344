// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/core/contour_alignment.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace sagitta::core {
namespace {

constexpr double kPi = 3.14159265358979323846;
// How deep into the body, as a fraction of the rectangle's height, a contour point still counts
// as the endplate's: a wedged body's endplate leaves the rectangle's side by up to a third.
constexpr double kBandDepth = 0.35;

double cross(Vec2 o, Vec2 a, Vec2 b) { return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x); }
double dot(Vec2 a, Vec2 b) { return a.x * b.x + a.y * b.y; }

// Area centroid of a simple polygon; the vertex mean when it has no area.
std::optional<Vec2> centroid(const std::vector<Vec2>& p) {
  double area = 0, cx = 0, cy = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const Vec2 a = p[i], b = p[(i + 1) % p.size()];
    const double w = a.x * b.y - b.x * a.y;
    area += w;
    cx += (a.x + b.x) * w;
    cy += (a.y + b.y) * w;
  }
  if (!(std::abs(area) >= 1e-9) || !std::isfinite(area)) return std::nullopt;  // none, or overflowed
  const Vec2 c{cx / (3.0 * area), cy / (3.0 * area)};
  if (!std::isfinite(c.x) || !std::isfinite(c.y)) return std::nullopt;
  return c;
}

std::vector<Vec2> convexHull(std::vector<Vec2> p) {
  std::sort(p.begin(), p.end(), [](Vec2 a, Vec2 b) { return a.x < b.x || (a.x == b.x && a.y < b.y); });
  if (p.size() < 3) return p;
  std::vector<Vec2> hull(2 * p.size());
  std::size_t k = 0;
  for (const auto& q : p) {  // lower, then upper chain (Andrew's monotone chain)
    while (k >= 2 && cross(hull[k - 2], hull[k - 1], q) <= 0) --k;
    hull[k++] = q;
  }
  for (std::size_t i = p.size() - 1, t = k + 1; i-- > 0;) {
    while (k >= t && cross(hull[k - 2], hull[k - 1], p[i]) <= 0) --k;
    hull[k++] = p[i];
  }
  hull.resize(k - 1);
  return hull;
}

// An angle of a line (either direction) to the image horizontal, in (-90, 90].
double lineAngle(Vec2 direction) {
  double a = std::atan2(direction.y, direction.x) * 180.0 / kPi;
  while (a > 90.0) a -= 180.0;
  while (a <= -90.0) a += 180.0;
  return a;
}

// The acute angle between two lines, degrees (0..90).
double between(double a, double b) {
  double d = std::abs(a - b);
  while (d > 180.0) d -= 180.0;
  return d > 90.0 ? 180.0 - d : d;
}

// The endplate on one side of the rectangle: the contour points within a band along that side
// (kBandDepth of the rectangle's height, in its middle 80 % so the rounded corners and the
// walls stay out),
// fitted by total least squares. The paper says only "least-squares method": the endplate
// is a line of either slope, so the fit minimises perpendicular distance, not vertical.
EndplateLine fitEndplate(const std::vector<Vec2>& contour, Vec2 sideFrom, Vec2 sideTo, Vec2 inward, double height) {
  const Vec2 along = sideTo - sideFrom;
  const double span = length(along);
  EndplateLine line;
  if (span <= 0.0) return line;
  const Vec2 u = (1.0 / span) * along;
  std::vector<Vec2> band;
  for (const auto& q : contour) {
    const Vec2 r = q - sideFrom;
    const double t = dot(r, u) / span, depth = dot(r, inward);
    if (t >= 0.1 && t <= 0.9 && depth >= -0.02 * height && depth <= kBandDepth * height) band.push_back(q);
  }
  if (band.size() < 2) band = {sideFrom, sideTo};  // a side with no contour points: the side itself
  Vec2 mean{0, 0};
  for (const auto& q : band) mean = mean + q;
  mean = (1.0 / static_cast<double>(band.size())) * mean;
  double sxx = 0, sxy = 0, syy = 0;
  for (const auto& q : band) {
    const Vec2 d = q - mean;
    sxx += d.x * d.x;
    sxy += d.x * d.y;
    syy += d.y * d.y;
  }
  const double theta = 0.5 * std::atan2(2.0 * sxy, sxx - syy);  // principal direction
  Vec2 dir{std::cos(theta), std::sin(theta)};
  if (dot(dir, u) < 0) dir = -1.0 * dir;
  double lo = std::numeric_limits<double>::max(), hi = std::numeric_limits<double>::lowest();
  for (const auto& q : band) {
    lo = std::min(lo, dot(q - mean, dir));
    hi = std::max(hi, dot(q - mean, dir));
  }
  line.from = mean + lo * dir;
  line.to = mean + hi * dir;
  line.angleDeg = lineAngle(dir);
  line.points = static_cast<int>(band.size());
  return line;
}

// The outline as points about a pixel apart: a polygon with few vertices (a phantom's truth,
// a simplified mask) has none along its endplates otherwise, and a dense mask outline is kept.
std::vector<Vec2> densified(const std::vector<Vec2>& contour) {
  double perimeter = 0;
  for (std::size_t i = 0; i < contour.size(); ++i) perimeter += length(contour[(i + 1) % contour.size()] - contour[i]);
  const double step = std::max(1.0, perimeter / 2000.0);
  std::vector<Vec2> out;
  for (std::size_t i = 0; i < contour.size(); ++i) {
    const Vec2 a = contour[i], b = contour[(i + 1) % contour.size()];
    const int n = std::max(1, static_cast<int>(std::ceil(length(b - a) / step)));
    for (int k = 0; k < n; ++k) out.push_back(a + (static_cast<double>(k) / n) * (b - a));
  }
  return out;
}

// A vertebra's centre and rectangle; its endplates come once its neighbours are known.
std::optional<VertebraFit> fitVertebra(const VertebraContour& v) {
  if (v.contour.size() < 3) return std::nullopt;
  for (const auto& p : v.contour) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) return std::nullopt;  // never sorted or fitted
  }
  const auto centre = centroid(v.contour);
  if (!centre) return std::nullopt;
  VertebraFit fit;
  fit.level = v.level;
  fit.centre = *centre;
  fit.rectangle = minimumAreaRectangle(v.contour);
  return fit;
}

// The endplates are the pair of opposite rectangle sides more nearly across the column (the
// line through the neighbouring vertebrae's centres), not the pair nearer the image
// horizontal: S1's endplate is inclined by the sacral slope, often past 45 deg. The superior
// one is the cranial one.
void fitEndplates(VertebraFit& fit, const std::vector<Vec2>& contour, Vec2 axis) {
  const auto& r = fit.rectangle;
  const double axisLength = length(axis);
  const Vec2 up = axisLength > 0 ? (1.0 / axisLength) * axis : Vec2{0, 1};  // cranial to caudal
  const auto across = [&](Vec2 side) { return std::abs(dot(side, up)) / std::max(length(side), 1e-12); };
  const bool firstPair = across(r[1] - r[0]) <= across(r[2] - r[1]);
  Vec2 a0 = firstPair ? r[0] : r[1], a1 = firstPair ? r[1] : r[2];
  Vec2 b0 = firstPair ? r[3] : r[0], b1 = firstPair ? r[2] : r[3];
  if (dot(midpoint(a0, a1), up) > dot(midpoint(b0, b1), up)) {
    std::swap(a0, b0);
    std::swap(a1, b1);
  }
  const double height = length(midpoint(b0, b1) - midpoint(a0, a1));
  if (height <= 0.0) return;
  const Vec2 down = (1.0 / height) * (midpoint(b0, b1) - midpoint(a0, a1));
  fit.superior = fitEndplate(contour, a0, a1, down, height);
  fit.inferior = fitEndplate(contour, b0, b1, -1.0 * down, height);
}

// seeds/004's slope of adjacent vertebrae. The paper writes k = dy/dx between centres; on a
// lateral film the column runs along y, where dy/dx grows without bound for a straight spine,
// so the slope is taken along the column, dx/dy: adjacent slopes then differ by the small
// curvature of the spine (the paper: 0.6-32 deg), and a mask off the column by much more.
double slope(Vec2 a, Vec2 b) {
  const double dy = b.y - a.y;
  return std::abs(dy) < 1e-9 ? std::numeric_limits<double>::infinity() : (b.x - a.x) / dy;
}

// The slope change at a vertebra: between the slopes to its neighbours, or, at either end of
// the column, between its slope to the next and the next one's slope onwards.
// n: how many of v, from the top, form the column being judged.
double changeAt(const std::vector<VertebraFit>& v, std::size_t n, std::size_t i) {
  const auto c = [&](std::size_t k) { return v[k].centre; };
  if (n < 3) return 0.0;
  if (i == 0) return std::abs(slope(c(0), c(1)) - slope(c(1), c(2)));
  if (i + 1 == n) return std::abs(slope(c(i - 1), c(i)) - slope(c(i - 2), c(i - 1)));
  return std::abs(slope(c(i - 1), c(i)) - slope(c(i), c(i + 1)));
}

const VertebraFit* find(const std::vector<VertebraFit>& v, const char* level) {
  for (const auto& f : v) {
    if (f.level == level) return &f;
  }
  return nullptr;
}

}  // namespace

std::array<Vec2, 4> minimumAreaRectangle(const std::vector<Vec2>& points) {
  const auto hull = convexHull(points);
  std::array<Vec2, 4> best{};
  if (hull.empty()) return best;
  if (hull.size() < 3) {
    best = {hull.front(), hull.back(), hull.back(), hull.front()};
    return best;
  }
  double bestArea = std::numeric_limits<double>::max();
  for (std::size_t i = 0; i < hull.size(); ++i) {
    const Vec2 edge = hull[(i + 1) % hull.size()] - hull[i];
    const double len = length(edge);
    if (len <= 0.0) continue;
    const Vec2 u = (1.0 / len) * edge, n{-u.y, u.x};
    double minU = std::numeric_limits<double>::max(), maxU = std::numeric_limits<double>::lowest();
    double minN = minU, maxN = maxU;
    for (const auto& q : hull) {
      minU = std::min(minU, dot(q, u));
      maxU = std::max(maxU, dot(q, u));
      minN = std::min(minN, dot(q, n));
      maxN = std::max(maxN, dot(q, n));
    }
    const double area = (maxU - minU) * (maxN - minN);
    if (area < bestArea) {
      bestArea = area;
      best = {minU * u + minN * n, maxU * u + minN * n, maxU * u + maxN * n, minU * u + maxN * n};
    }
  }
  return best;
}

ContourAlignment measureFromContours(const std::vector<VertebraContour>& vertebrae, double threshold) {
  ContourAlignment out;
  std::vector<std::pair<VertebraFit, std::vector<Vec2>>> fits;
  for (const auto& v : vertebrae) {
    if (auto fit = fitVertebra(v)) fits.emplace_back(*fit, densified(v.contour));
  }
  std::sort(fits.begin(), fits.end(), [](const auto& a, const auto& b) { return a.first.centre.y < b.first.centre.y; });
  std::vector<std::vector<Vec2>> contours;
  for (auto& [fit, contour] : fits) {
    out.vertebrae.push_back(fit);
    contours.push_back(std::move(contour));
  }
  // Noise: the worst slope change above the threshold goes, then the rest are judged again
  // without it (one stray mask raises the change at its neighbours too).
  // S1 is left out of the rule: its centre lies behind the column's line at the lumbosacral
  // angle, which alone can pass tan 60 deg; it is a level of its own, not a stray mask.
  const auto column = [&] {
    std::size_t n = out.vertebrae.size();
    while (n > 0 && out.vertebrae[n - 1].level == "S1") --n;
    return n;
  };
  for (std::size_t n = column(); n >= 3; n = column()) {
    std::size_t worst = 0;
    double worstChange = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      const double change = changeAt(out.vertebrae, n, i);
      if (change > worstChange) {
        worstChange = change;
        worst = i;
      }
    }
    if (worstChange <= threshold) break;
    out.removed.push_back(out.vertebrae[worst].level);
    out.vertebrae.erase(out.vertebrae.begin() + static_cast<std::ptrdiff_t>(worst));
    contours.erase(contours.begin() + static_cast<std::ptrdiff_t>(worst));
  }
  for (std::size_t i = 0; i < out.vertebrae.size(); ++i) {
    const auto& v = out.vertebrae;
    const Vec2 axis = v.size() < 2 ? Vec2{0, 1}
                      : i == 0     ? v[1].centre - v[0].centre
                      : i + 1 == v.size() ? v[i].centre - v[i - 1].centre
                                          : v[i + 1].centre - v[i - 1].centre;
    fitEndplates(out.vertebrae[i], contours[i], axis);
  }
  const auto angle = [&](const char* name, const char* upper, const char* lower, std::optional<double>& value) {
    const auto* a = find(out.vertebrae, upper);
    const auto* b = find(out.vertebrae, lower);
    if (!a || !b) {
      out.notMeasured.push_back(std::string(name) + ": " + (a ? lower : upper) + " not found");
      return;
    }
    value = between(a->superior.angleDeg, b->inferior.angleDeg);
  };
  angle("TK", "T5", "T12", out.tk);
  angle("LL", "L1", "L5", out.ll);
  if (const auto* s1 = find(out.vertebrae, "S1")) {
    out.ss = between(s1->superior.angleDeg, 0.0);
  } else {
    out.notMeasured.push_back("SS: S1 not found");
  }
  return out;
}

}  // namespace sagitta::core
