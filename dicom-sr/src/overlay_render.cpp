// SPDX-License-Identifier: GPL-3.0-or-later
// The overlay picture. Every size is taken from the output height, so that the picture reads
// the same at any film size; at a PACS tile of 1024 rows the smallest text is still 11 pixels
// high. The legend panel is as wide as its longest line, so nothing is cut off at any aspect.
#include <algorithm>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "sagitta/core/construction.hpp"
#include "sagitta/core/fail_closed.hpp"
#include "sagitta/core/measurement_json.hpp"
#include "sagitta/dicom/overlay.hpp"
#include "display_text.hpp"

namespace sagitta::dicom {
namespace {

using core::LandmarkId;

constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
const cv::Scalar kPanel(24, 24, 24);
const cv::Scalar kWhite(255, 255, 255);
const cv::Scalar kGrey(170, 170, 170);
const cv::Scalar kWarning(0, 0, 255);

cv::Scalar regionColour(core::Region region) {  // BGR
  switch (region) {
    case core::Region::Cervical: return {255, 255, 0};
    case core::Region::Thoracic: return {80, 220, 80};
    case core::Region::Lumbar: return {0, 160, 255};
    case core::Region::Sacral: return {255, 80, 255};
    case core::Region::Hip: return {60, 60, 255};
  }
  return kWhite;
}

cv::Scalar parameterColour(std::size_t index) {
  static const cv::Scalar kPalette[] = {{0, 215, 255}, {255, 191, 0}, {147, 20, 255}, {0, 255, 127}, {255, 0, 255},
                                        {0, 128, 255}, {255, 255, 0}, {203, 192, 255}, {80, 255, 255}};
  return kPalette[index % std::size(kPalette)];
}

// The catalogue's name without its parenthesised gloss ("Barrey index (C7 ...)" -> "Barrey index").
std::string shortName(std::string_view name) {
  const auto cut = name.find(" (");
  return std::string(name.substr(0, cut));
}

// Text drawn with one font and thickness, measured before it is placed.
struct Pen {
  double scale;
  int thickness;
  cv::Size size(const std::string& s) const {
    int baseline = 0;
    return cv::getTextSize(s, kFont, scale, thickness, &baseline);
  }
  void draw(cv::Mat& on, const std::string& s, cv::Point at, const cv::Scalar& colour) const {
    cv::putText(on, s, at, kFont, scale, colour, thickness, cv::LINE_AA);
  }
};

struct Callout {
  std::string text;
  cv::Point anchor;
  cv::Scalar colour;
  int y = 0;  // baseline, once placed
};

// Labels in one column on the side the patient faces away from (the back, where the film is
// darkest beside the spine), in the order of their anchors, pushed apart so none overlaps.
void placeCallouts(std::vector<Callout>& callouts, int step, int top, int bottom) {
  std::sort(callouts.begin(), callouts.end(), [](const Callout& a, const Callout& b) { return a.anchor.y < b.anchor.y; });
  int next = top;
  for (auto& c : callouts) {
    c.y = std::max(c.anchor.y, next);
    next = c.y + step;
  }
  // Pushed past the bottom: the column moves up as a whole, never above the top.
  const int overflow = callouts.empty() ? 0 : callouts.back().y - bottom;
  if (overflow > 0) {
    int limit = bottom;
    for (auto it = callouts.rbegin(); it != callouts.rend(); ++it) {
      it->y = std::min(it->y, limit);
      limit = it->y - step;
    }
    for (auto& c : callouts) c.y = std::max(c.y, top);
  }
}

}  // namespace

namespace {

// legend false: the film alone with its landmarks, constructions and labels (no banner, no
// panel), for the PDF report, which has its own header and table.
cv::Mat render(const ReportInput& in, const cv::Mat& display, bool legend) {
  const double scale = std::min(1.0, static_cast<double>(kOverlayMaxRows) / display.rows);
  cv::Mat grey;
  cv::resize(display, grey, cv::Size(std::max(1, static_cast<int>(display.cols * scale)),
                                     std::max(1, static_cast<int>(display.rows * scale))),
             0, 0, cv::INTER_AREA);
  // One unit per 1000 output rows, at least 1 (a small film gets text at its natural size).
  const double unit = std::max(1.0, grey.rows / 1000.0);
  const int line = std::max(1, static_cast<int>(std::lround(1.6 * unit)));
  const Pen text{0.55 * unit, line};
  const Pen small{0.5 * unit, std::max(1, line - 1)};
  const int step = text.size("Xg").height * 2;
  const int margin = static_cast<int>(10 * unit);
  const bool calibrated = in.measurement.calibration.calibrated();
  const auto& set = in.landmarks.landmarks;

  // The legend's lines, measured first: the panel is as wide as the widest.
  struct Row {
    std::string key, value, paper, name;
    cv::Scalar colour;
    bool measured, warned;
  };
  std::vector<Row> rows;
  std::size_t index = 0;
  for (const auto& value : in.measurement.parameters) {
    const auto& info = core::parameterInfo(value.id);
    rows.push_back({std::string(info.key), detail::shownValue(value, calibrated, "n/a"), detail::paperNormal(value.id),
                    shortName(info.name), parameterColour(index++), value.value.has_value(), !value.warnings.empty()});
  }
  int keyWidth = 0, valueWidth = 0, paperWidth = 0, nameWidth = 0;
  for (const auto& r : rows) {
    keyWidth = std::max(keyWidth, text.size(r.key).width);
    valueWidth = std::max(valueWidth, text.size(r.value).width);
    paperWidth = std::max(paperWidth, small.size(r.paper).width);
    nameWidth = std::max(nameWidth, small.size(r.name).width);
  }
  const int swatch = static_cast<int>(10 * unit), gap = static_cast<int>(12 * unit);
  const int keyX = swatch + gap, valueX = keyX + keyWidth + gap, paperX = valueX + valueWidth + gap;
  const int nameX = paperX + paperWidth + gap;
  std::vector<std::pair<std::string, cv::Scalar>> header{
      {"Sagittal parameters", kWhite},
      {"value, then the paper's mean +/- SD and the name", kGrey},
      // A reviewed overlay's points are the reviewer's: the model only proposed them.
      {(in.review ? "points: reviewed (revision " + std::to_string(in.review->revision) + "), proposed by " : "model: ") +
           in.model.name + " " + in.model.version,
       kGrey},
      {"calibration: " + std::string(core::calibrationKey(in.measurement.calibration.kind)), kGrey},
      {"patient faces " + std::string(core::facingKey(in.measurement.facing)), kGrey}};
  std::vector<std::pair<std::string, cv::Scalar>> footer;
  for (const auto& modifier : in.measurement.indices.schwab) {
    footer.push_back({"SRS-Schwab " + std::string(modifier.key) + " modifier: " +
                          (modifier.grade ? std::string(core::schwabGradeKey(*modifier.grade)) : std::string("n/a")),
                      kWhite});
  }
  footer.push_back({"! quality warning (details in the SR)", kWarning});
  if (std::any_of(rows.begin(), rows.end(), [](const Row& r) { return r.value == "withheld"; })) {
    footer.push_back({"withheld: a check failed (reason in the SR)", kGrey});
  }
  if (std::any_of(rows.begin(), rows.end(), [](const Row& r) { return r.value == "off film"; })) {
    footer.push_back({"off film: its landmarks are not in the field of view", kGrey});
  }
  footer.push_back({"deg degrees, mm millimetres, px pixels (uncalibrated)", kGrey});
  int panelWidth = nameX + nameWidth + text.size(" !").width;
  for (const auto& lines : {header, footer}) {
    for (const auto& [s, colour] : lines) panelWidth = std::max(panelWidth, text.size(s).width);
  }
  panelWidth += 2 * margin;

  // The banner across the top, its text shrunk to the canvas when the film is narrow.
  // A reviewed overlay says who stands by it instead of the automated-measurement warning.
  const std::string bannerText =
      in.review ? std::string(in.review->corrected ? "CORRECTED" : "APPROVED") + " BY " +
                         personName(in.review->reviewer) + (in.review->authenticated ? "" : " (NOT AUTHENTICATED)") +
                         " - REVISION " + std::to_string(in.review->revision)
                   : std::string("AUTOMATED MEASUREMENT - VERIFY BEFORE CLINICAL USE");
  Pen banner{text.scale, line};
  const int bannerRoom = grey.cols + panelWidth - 2 * margin;
  if (banner.size(bannerText).width > bannerRoom) banner.scale *= static_cast<double>(bannerRoom) / banner.size(bannerText).width;
  const int bannerHeight = banner.size(bannerText).height + 2 * margin;
  // A film shorter than the legend gets panel colour below it rather than a cut legend.
  const auto legendRows = header.size() + rows.size() + footer.size() + 1;
  const int legendHeight = bannerHeight + step * static_cast<int>(legendRows + 1);
  cv::Mat canvas(legend ? std::max(grey.rows, legendHeight) : grey.rows, grey.cols + (legend ? panelWidth : 0), CV_8UC3,
                 kPanel);
  cv::cvtColor(grey, canvas(cv::Rect(0, 0, grey.cols, grey.rows)), cv::COLOR_GRAY2BGR);
  cv::Mat image = canvas(cv::Rect(0, 0, grey.cols, grey.rows));
  const auto px = [&](core::Vec2 p) {  // DICOM continuous -> OpenCV pixel centres, scaled
    return cv::Point(static_cast<int>(std::lround(p.x * scale - 0.5)), static_cast<int>(std::lround(p.y * scale - 0.5)));
  };

  std::vector<cv::Point> curve;  // the spinal curve through the body centres, down to S1
  for (const auto id : core::bodyCentres()) {
    if (set.has(id)) curve.push_back(px({set.at(id).x, set.at(id).y}));
  }
  if (set.has(LandmarkId::S1_A) && set.has(LandmarkId::S1_P)) {
    curve.push_back(px(core::midpoint({set.at(LandmarkId::S1_A).x, set.at(LandmarkId::S1_A).y},
                                      {set.at(LandmarkId::S1_P).x, set.at(LandmarkId::S1_P).y})));
  }
  if (curve.size() > 1) cv::polylines(image, curve, false, cv::Scalar(0, 255, 255), line, cv::LINE_AA);

  // Each measured parameter: its construction, and a label with its value joined to it.
  std::vector<Callout> callouts;
  int spineMinX = image.cols, spineMaxX = 0;
  for (const auto& info : core::landmarkCatalogue()) {
    if (!set.has(info.id)) continue;
    const int x = px({set.at(info.id).x, set.at(info.id).y}).x;
    spineMinX = std::min(spineMinX, x);
    spineMaxX = std::max(spineMaxX, x);
  }
  for (std::size_t i = 0; i < in.measurement.parameters.size(); ++i) {
    const auto& value = in.measurement.parameters[i];
    const auto points = core::constructionOf(value.id, set);
    if (!value.value || points.size() < 2) continue;
    std::vector<cv::Point> polyline;
    cv::Point2d centre(0, 0);
    for (const auto& p : points) {
      polyline.push_back(px(p));
      centre += cv::Point2d(polyline.back());
    }
    cv::polylines(image, polyline, false, rows[i].colour, std::max(1, line - 1), cv::LINE_AA);
    centre *= 1.0 / static_cast<double>(polyline.size());
    callouts.push_back({rows[i].key + " " + rows[i].value, cv::Point(static_cast<int>(centre.x), static_cast<int>(centre.y)),
                        rows[i].colour});
  }
  for (const auto& info : core::landmarkCatalogue()) {
    if (!set.has(info.id)) continue;
    const auto p = px({set.at(info.id).x, set.at(info.id).y});
    cv::circle(image, p, 3 * line, regionColour(info.region), cv::FILLED, cv::LINE_AA);
    cv::circle(image, p, 3 * line, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  }

  if (legend) {
    cv::rectangle(canvas, {0, 0, canvas.cols, bannerHeight}, in.review ? cv::Scalar(60, 110, 0) : cv::Scalar(0, 0, 170),
                  cv::FILLED);
    banner.draw(canvas, bannerText, {margin, bannerHeight - margin}, kWhite);
  }

  // The callouts: a column beside the spine on the patient's back, each on a dark box and
  // joined to its construction by a thin line of its colour.
  // On a film too narrow for them, the labels get smaller (down to 70 %), then keep only the
  // abbreviation (the value is in the legend): a label is never cut at the film's edge.
  Pen label = small;
  const auto widest = [&](const Pen& pen) {
    int width = 0;
    for (const auto& c : callouts) width = std::max(width, pen.size(c.text).width);
    return width;
  };
  const int room = image.cols - 2 * margin;
  if (widest(label) > room) label.scale = std::max(0.7 * small.scale, label.scale * room / std::max(1, widest(label)));
  if (widest(label) > room) {
    for (auto& c : callouts) c.text = c.text.substr(0, c.text.find(' '));
  }
  const int labelWidth = widest(label);
  const bool backOnRight = in.measurement.facing == core::Facing::Left;
  const int reach = static_cast<int>(40 * unit);
  int columnX = backOnRight ? spineMaxX + reach : spineMinX - reach - labelWidth;
  columnX = std::clamp(columnX, margin, std::max(margin, image.cols - labelWidth - margin));
  placeCallouts(callouts, step, legend ? bannerHeight + step : margin + step, image.rows - margin);
  for (const auto& c : callouts) {
    const auto size = label.size(c.text);
    const cv::Rect box(columnX - margin / 2, c.y - size.height - margin / 2, size.width + margin, size.height + margin);
    const cv::Point joint(backOnRight ? box.x : box.x + box.width, c.y - size.height / 2);
    cv::line(image, c.anchor, joint, c.colour, 1, cv::LINE_AA);
    cv::Mat roi = image(box & cv::Rect(0, 0, image.cols, image.rows));
    roi *= 0.35;  // darkened, not hidden: the film stays visible under the label
    label.draw(image, c.text, {columnX, c.y}, c.colour);
  }

  if (!legend) return canvas;
  // The legend panel.
  int y = bannerHeight + step;
  const int x0 = grey.cols + margin;
  for (const auto& [s, colour] : header) {
    text.draw(canvas, s, {x0, y}, colour);
    y += step;
  }
  y += step / 2;
  for (const auto& r : rows) {
    cv::rectangle(canvas, {x0, y - swatch, swatch, swatch}, r.colour, cv::FILLED);
    text.draw(canvas, r.key, {x0 + keyX, y}, kWhite);
    text.draw(canvas, r.value, {x0 + valueX, y}, r.measured ? kWhite : kGrey);
    small.draw(canvas, r.paper, {x0 + paperX, y}, kGrey);
    small.draw(canvas, r.name, {x0 + nameX, y}, kGrey);
    if (r.warned) text.draw(canvas, " !", {x0 + nameX + nameWidth, y}, kWarning);
    y += step;
  }
  y += step / 2;
  for (const auto& [s, colour] : footer) {
    text.draw(canvas, s, {x0, y}, colour);
    y += step;
  }
  return canvas;
}

}  // namespace

cv::Mat renderOverlay(const ReportInput& in, const cv::Mat& display) { return render(in, display, true); }

cv::Mat renderAnnotatedFilm(const ReportInput& in, const cv::Mat& display) { return render(in, display, false); }

}  // namespace sagitta::dicom
