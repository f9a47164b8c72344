// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/dicom/overlay.hpp"

#include <algorithm>
#include <cstdio>

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <opencv2/imgproc.hpp>

#include "sagitta/core/construction.hpp"
#include "sagitta/core/fail_closed.hpp"
#include "sagitta/core/measurement_json.hpp"
#include "sagitta/dicom/errors.hpp"
#include "sagitta/dicom/identity.hpp"
#include "part10.hpp"

namespace sagitta::dicom {
namespace {

using core::LandmarkId;

cv::Scalar regionColour(core::Region region) {  // BGR
  switch (region) {
    case core::Region::Cervical: return {255, 255, 0};
    case core::Region::Thoracic: return {80, 220, 80};
    case core::Region::Lumbar: return {0, 160, 255};
    case core::Region::Sacral: return {255, 80, 255};
    case core::Region::Hip: return {60, 60, 255};
  }
  return {255, 255, 255};
}

cv::Scalar parameterColour(std::size_t index) {
  static const cv::Scalar kPalette[] = {{0, 215, 255}, {255, 191, 0}, {147, 20, 255}, {0, 255, 127},
                                        {255, 0, 255}, {0, 128, 255}, {255, 255, 0},  {203, 192, 255}};
  return kPalette[index % std::size(kPalette)];
}

std::string fixed(double value, int decimals) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

}  // namespace

cv::Mat renderOverlay(const ReportInput& in, const cv::Mat& display) {
  const double scale = std::min(1.0, static_cast<double>(kOverlayMaxRows) / display.rows);
  cv::Mat grey;
  cv::resize(display, grey, cv::Size(std::max(1, static_cast<int>(display.cols * scale)),
                                     std::max(1, static_cast<int>(display.rows * scale))),
             0, 0, cv::INTER_AREA);
  // Text and lines are sized for the output height so they stay legible.
  const double unit = std::max(1.0, grey.rows / 1000.0);
  const int line = std::max(1, static_cast<int>(std::lround(1.5 * unit)));
  const double font = 0.45 * unit;
  const int panelWidth = static_cast<int>(360 * unit);
  cv::Mat canvas(grey.rows, grey.cols + panelWidth, CV_8UC3, cv::Scalar(24, 24, 24));
  cv::cvtColor(grey, canvas(cv::Rect(0, 0, grey.cols, grey.rows)), cv::COLOR_GRAY2BGR);
  cv::Mat image = canvas(cv::Rect(0, 0, grey.cols, grey.rows));
  const auto px = [&](core::Vec2 p) {  // DICOM continuous -> OpenCV pixel centres, scaled
    return cv::Point(static_cast<int>(std::lround(p.x * scale - 0.5)), static_cast<int>(std::lround(p.y * scale - 0.5)));
  };
  const auto& set = in.landmarks.landmarks;

  std::vector<cv::Point> curve;  // the spinal curve through the body centres, down to S1
  for (const auto id : core::bodyCentres()) {
    if (set.has(id)) curve.push_back(px({set.at(id).x, set.at(id).y}));
  }
  if (set.has(LandmarkId::S1_A) && set.has(LandmarkId::S1_P)) {
    curve.push_back(px(core::midpoint({set.at(LandmarkId::S1_A).x, set.at(LandmarkId::S1_A).y},
                                      {set.at(LandmarkId::S1_P).x, set.at(LandmarkId::S1_P).y})));
  }
  if (curve.size() > 1) cv::polylines(image, curve, false, cv::Scalar(0, 255, 255), line, cv::LINE_AA);

  std::size_t index = 0;
  for (const auto& value : in.measurement.parameters) {
    const auto points = core::constructionOf(value.id, set);
    const auto colour = parameterColour(index++);
    if (!value.value || points.size() < 2) continue;
    std::vector<cv::Point> polyline;
    for (const auto& p : points) polyline.push_back(px(p));
    cv::polylines(image, polyline, false, colour, std::max(1, line - 1), cv::LINE_AA);
  }
  for (const auto& info : core::landmarkCatalogue()) {
    if (!set.has(info.id)) continue;
    const auto p = px({set.at(info.id).x, set.at(info.id).y});
    cv::circle(image, p, 3 * line, regionColour(info.region), cv::FILLED, cv::LINE_AA);
    cv::circle(image, p, 3 * line, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  }

  // Banner across the top.
  const int bannerHeight = static_cast<int>(28 * unit);
  cv::rectangle(canvas, {0, 0, canvas.cols, bannerHeight}, cv::Scalar(0, 0, 170), cv::FILLED);
  const std::string banner = "AUTOMATED MEASUREMENT - VERIFY BEFORE CLINICAL USE  (" + in.model.version + ")";
  cv::putText(canvas, banner, {static_cast<int>(8 * unit), static_cast<int>(20 * unit)}, cv::FONT_HERSHEY_SIMPLEX,
              font, cv::Scalar(255, 255, 255), line, cv::LINE_AA);

  // Legend panel: value, unit, the paper's mean (SD), flags.
  const bool calibrated = in.measurement.calibration.calibrated();
  int y = bannerHeight + static_cast<int>(26 * unit);
  const int x0 = grey.cols + static_cast<int>(10 * unit);
  const int step = static_cast<int>(22 * unit);
  auto text = [&](const std::string& s, cv::Scalar colour, int x) {
    cv::putText(canvas, s, {x, y}, cv::FONT_HERSHEY_SIMPLEX, font, colour, line, cv::LINE_AA);
  };
  text("Sagittal parameters   (paper mean, SD)", {255, 255, 255}, x0);
  y += step;
  text("model: " + in.model.name.substr(0, 28), {200, 200, 200}, x0);
  y += step;
  text(std::string("calibration: ") + std::string(core::calibrationKey(in.measurement.calibration.kind)) +
           ", faces " + std::string(core::facingKey(in.measurement.facing)),
       {200, 200, 200}, x0);
  y += step;
  index = 0;
  for (const auto& value : in.measurement.parameters) {
    const auto& info = core::parameterInfo(value.id);
    const int decimals = info.unit == core::ParameterUnit::Ratio ? 2 : 1;
    const auto colour = parameterColour(index++);
    cv::rectangle(canvas, {x0, y - static_cast<int>(10 * unit), static_cast<int>(10 * unit), static_cast<int>(10 * unit)},
                  colour, cv::FILLED);
    const std::string shown = value.value ? fixed(core::roundForDisplay(*value.value, info.unit), decimals) + " " +
                                                std::string(core::unitSymbol(info.unit, calibrated))
                                          : std::string(core::isWithheld(value) ? "withheld" : "n/a");
    text(std::string(info.key), {255, 255, 255}, x0 + static_cast<int>(16 * unit));
    text(shown, value.value ? cv::Scalar(255, 255, 255) : cv::Scalar(140, 140, 140), x0 + static_cast<int>(90 * unit));
    text("(" + fixed(info.paperMean, decimals) + ", " + fixed(info.paperSd, decimals) + ")", {170, 170, 170},
         x0 + static_cast<int>(210 * unit));
    if (!value.warnings.empty()) text("!", {0, 0, 255}, x0 + static_cast<int>(330 * unit));
    y += step;
  }
  y += step / 2;
  for (const auto& modifier : in.measurement.indices.schwab) {
    text("Schwab " + std::string(modifier.key) + ": " +
             (modifier.grade ? std::string(core::schwabGradeKey(*modifier.grade)) : std::string("n/a")),
         {255, 255, 255}, x0);
    y += step;
  }
  y += step / 2;
  text("! = quality warning (see SR)", {0, 0, 255}, x0);
  if (std::any_of(in.measurement.parameters.begin(), in.measurement.parameters.end(),
                  [](const core::ParameterValue& v) { return core::isWithheld(v); })) {
    y += step;
    text("withheld: a check failed (see SR)", {140, 140, 140}, x0);
  }
  return canvas;
}

std::string overlayBytes(const ReportInput& in, const cv::Mat& display) {
  const auto& s = in.source;
  const OutputUids uids = outputUids(s.sopInstanceUid, in.model.sha256, "sc");
  cv::Mat rgb;
  cv::cvtColor(renderOverlay(in, display), rgb, cv::COLOR_BGR2RGB);

  DcmFileFormat file;
  DcmDataset& d = *file.getDataset();
  auto put = [&](const DcmTagKey& tag, const std::string& value) {
    if (d.putAndInsertString(tag, value.c_str()).bad()) throw DicomError(std::string("cannot set ") + DcmTag(tag).getTagName());
  };
  if (!s.specificCharacterSet.empty()) put(DCM_SpecificCharacterSet, s.specificCharacterSet);
  put(DCM_SOPClassUID, UID_SecondaryCaptureImageStorage);
  put(DCM_SOPInstanceUID, uids.instance);
  put(DCM_PatientName, s.patient.name);
  put(DCM_PatientID, s.patient.id);
  put(DCM_PatientBirthDate, s.patient.birthDate);
  put(DCM_PatientSex, s.patient.sex);
  put(DCM_StudyInstanceUID, s.study.studyInstanceUid);
  put(DCM_StudyDate, s.study.studyDate);
  put(DCM_StudyTime, s.study.studyTime);
  put(DCM_StudyID, s.study.studyId);
  put(DCM_AccessionNumber, s.study.accessionNumber);
  put(DCM_ReferringPhysicianName, s.study.referringPhysician);
  put(DCM_StudyDescription, s.study.studyDescription);
  put(DCM_SeriesInstanceUID, uids.series);
  put(DCM_Modality, "OT");
  put(DCM_SeriesNumber, "9902");
  // Copied, never invented (type 3): a source without one says nothing about the body part.
  // An unpaired body part: General Series Laterality must then be absent.
  if (!s.bodyPartExamined.empty()) put(DCM_BodyPartExamined, s.bodyPartExamined);
  put(DCM_SeriesDescription, "Sagitta overlay");
  put(DCM_ConversionType, "WSD");
  put(DCM_Manufacturer, kManufacturer);
  put(DCM_SecondaryCaptureDeviceManufacturer, kManufacturer);
  put(DCM_SecondaryCaptureDeviceManufacturerModelName, kModelName);
  put(DCM_SecondaryCaptureDeviceSoftwareVersions, in.model.version.empty() ? "sagitta" : in.model.version);
  put(DCM_InstanceNumber, "1");
  put(DCM_PatientOrientation, s.patientOrientation);
  put(DCM_ImageType, "DERIVED\\SECONDARY");
  put(DCM_BurnedInAnnotation, "YES");
  // A derived image inherits its source's lossy history (the SC itself is stored uncompressed).
  put(DCM_LossyImageCompression, s.lossyCompressed ? "01" : "00");
  if (s.lossyCompressed && !s.lossyCompressionMethod.empty()) put(DCM_LossyImageCompressionMethod, s.lossyCompressionMethod);
  put(DCM_DerivationDescription, "Sagitta landmarks and sagittal parameters drawn on the windowed source image");
  DcmItem* source = nullptr;
  if (d.findOrCreateSequenceItem(DCM_SourceImageSequence, source, -2).bad() || source == nullptr) {
    throw DicomError("cannot create the Source Image Sequence");
  }
  source->putAndInsertString(DCM_ReferencedSOPClassUID, s.sopClassUid.c_str());
  source->putAndInsertString(DCM_ReferencedSOPInstanceUID, s.sopInstanceUid.c_str());
  put(DCM_SamplesPerPixel, "3");
  put(DCM_PhotometricInterpretation, "RGB");
  put(DCM_PlanarConfiguration, "0");
  put(DCM_Rows, std::to_string(rgb.rows));
  put(DCM_Columns, std::to_string(rgb.cols));
  put(DCM_BitsAllocated, "8");
  put(DCM_BitsStored, "8");
  put(DCM_HighBit, "7");
  put(DCM_PixelRepresentation, "0");
  cv::Mat contiguous = rgb.isContinuous() ? rgb : rgb.clone();
  if (d.putAndInsertUint8Array(DCM_PixelData, contiguous.data, static_cast<unsigned long>(contiguous.total() * 3)).bad()) {
    throw DicomError("cannot set the overlay pixel data");
  }
  return detail::part10Bytes(file);
}

void writeOverlay(const ReportInput& in, const cv::Mat& display, const std::string& path) {
  detail::writePart10(overlayBytes(in, display), path);
}

}  // namespace sagitta::dicom
