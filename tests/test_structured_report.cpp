// SPDX-License-Identifier: GPL-3.0-or-later
// The TID 1500 SR and the overlay SC: written from a phantom and its truth, read back.
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "sagitta/core/measurement_json.hpp"
#include "sagitta/dicom/overlay.hpp"
#include "sagitta/dicom/radiograph.hpp"
#include "sagitta/core/landmark_catalogue.hpp"
#include "sagitta/dicom/cornerstone_tools.hpp"
#include "sagitta/dicom/identity.hpp"
#include "sagitta/dicom/structured_report.hpp"
#include "sagitta/phantom/dicom_writer.hpp"
#include "sagitta/phantom/generator.hpp"

namespace sagitta::dicom {
namespace {

namespace fs = std::filesystem;

std::string attribute(const std::string& path, const DcmTagKey& tag) {
  DcmFileFormat file;
  EXPECT_TRUE(file.loadFile(path.c_str()).good());
  OFString value;
  file.getDataset()->findAndGetOFStringArray(tag, value);
  return value.c_str();
}

class Report : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sagitta-sr-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    phantom::GeneratorOptions options;
    options.rows = 900;
    phantomCase_ = phantom::generateCase(404, 2, options);
    const auto source = (dir_ / "source.dcm").string();
    phantom::writeDicom(phantomCase_, source);
    radiograph_ = readRadiograph(source);
    input_.source = radiograph_.info;
    input_.landmarks = phantomCase_.truth;
    input_.measurement = core::measure(input_.landmarks.landmarks, radiograph_.info.calibration);
    input_.model = {"unit-test-model", "sagitta test", std::string(64, 'a')};
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  phantom::PhantomCase phantomCase_;
  Radiograph radiograph_;
  ReportInput input_;
};

TEST_F(Report, SrRoundTripsLandmarksAndParameters) {
  const auto path = (dir_ / "sr.dcm").string();
  writeStructuredReport(input_, path);
  EXPECT_EQ(attribute(path, DCM_SOPClassUID), UID_Comprehensive3DSRStorage);
  EXPECT_EQ(attribute(path, DCM_StudyInstanceUID), input_.source.study.studyInstanceUid);
  EXPECT_EQ(attribute(path, DCM_PatientID), input_.source.patient.id);
  EXPECT_NE(attribute(path, DCM_SeriesInstanceUID), input_.source.seriesInstanceUid);

  const auto json = nlohmann::json::parse(structuredReportToJson(path));
  EXPECT_EQ(json["source_sop_instance_uid"], input_.source.sopInstanceUid);
  EXPECT_EQ(json["model"]["sha256"], std::string(64, 'a'));
  const auto landmarks = core::parseLandmarksJson(json["landmarks"].dump());
  EXPECT_EQ(landmarks.landmarks.size(), 45U);
  for (const auto& info : core::landmarkCatalogue()) {
    const auto& expected = input_.landmarks.landmarks.at(info.id);
    const auto& got = landmarks.landmarks.at(info.id);
    EXPECT_NEAR(got.x, expected.x, 1e-3) << info.key;  // SCOORD is float32
    EXPECT_NEAR(got.y, expected.y, 1e-3) << info.key;
  }
  EXPECT_EQ(landmarks.image.calibration.kind, input_.measurement.calibration.kind);
  EXPECT_NEAR(landmarks.image.calibration.rowSpacingMm, input_.measurement.calibration.rowSpacingMm, 1e-6);
  const auto expected = nlohmann::json::parse(core::measurementToJson(input_.measurement));
  for (const auto& info : core::parameterCatalogue()) {
    const std::string key(info.key);
    EXPECT_DOUBLE_EQ(json["parameters"]["parameters"][key]["value"].get<double>(),
                     expected["parameters"][key]["value"].get<double>())
        << key;
    EXPECT_EQ(json["parameters"]["parameters"][key]["unit"], expected["parameters"][key]["unit"]) << key;
  }
}

TEST_F(Report, UidsAreDeterministicPerSourceModelAndKind) {
  const auto a = (dir_ / "a.dcm").string(), b = (dir_ / "b.dcm").string(), c = (dir_ / "c.dcm").string();
  writeStructuredReport(input_, a);
  writeStructuredReport(input_, b);
  EXPECT_EQ(attribute(a, DCM_SOPInstanceUID), attribute(b, DCM_SOPInstanceUID));
  EXPECT_EQ(attribute(a, DCM_SeriesInstanceUID), attribute(b, DCM_SeriesInstanceUID));
  input_.model.sha256 = std::string(64, 'b');
  writeStructuredReport(input_, c);
  EXPECT_NE(attribute(a, DCM_SOPInstanceUID), attribute(c, DCM_SOPInstanceUID));
  EXPECT_NE(outputUids("1.2.3", "x", "sr").instance, outputUids("1.2.3", "x", "sc").instance);
}

TEST_F(Report, UnmeasuredParametersAreReportedWithTheirReason) {
  input_.landmarks.landmarks.erase(core::LandmarkId::C2_AI);
  input_.measurement = core::measure(input_.landmarks.landmarks, radiograph_.info.calibration);
  const auto path = (dir_ / "partial.dcm").string();
  writeStructuredReport(input_, path);
  const auto json = nlohmann::json::parse(structuredReportToJson(path));
  EXPECT_TRUE(json["parameters"]["parameters"]["CL"]["value"].is_null());
  EXPECT_EQ(json["parameters"]["parameters"]["CL"]["reason"], "landmark C2_AI missing");
  EXPECT_EQ(core::parseLandmarksJson(json["landmarks"].dump()).landmarks.size(), 44U);
}

// The plugin posts its objects from memory: the bytes are a complete Part 10 file, the same as
// what is written to disk.
// The objects carry their creation and content time to the second, so the file and the memory
// copies are made within one second of the clock (again, when a loaded machine crosses one).
TEST_F(Report, ObjectsAreMadeInMemoryAsPart10Files) {
  const auto srPath = (dir_ / "mem_sr.dcm").string();
  const auto scPath = (dir_ / "mem_sc.dcm").string();
  std::string sr, sc;
  for (int attempt = 0; attempt < 5; ++attempt) {
    const std::time_t before = std::time(nullptr);
    writeStructuredReport(input_, srPath);
    writeOverlay(input_, radiograph_.display, scPath);
    sr = structuredReportBytes(input_);
    sc = overlayBytes(input_, radiograph_.display);
    if (std::time(nullptr) == before) break;
  }
  const auto fileBytes = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  EXPECT_EQ(sr, fileBytes(srPath));
  EXPECT_EQ(sc, fileBytes(scPath));
  ASSERT_GT(sr.size(), 132U);
  EXPECT_EQ(sr.substr(128, 4), "DICM");
  EXPECT_EQ(sc.substr(128, 4), "DICM");
  const auto back = readRadiograph(sc.data(), sc.size());
  EXPECT_EQ(back.info.sopClassUid, UID_SecondaryCaptureImageStorage);
  // Both are known as Sagitta's by what they are (the plugin's loop guard); the source is not.
  EXPECT_TRUE(isSagittaOutput(attribute(srPath, DCM_Manufacturer), attribute(srPath, DCM_SOPClassUID)));
  EXPECT_TRUE(isSagittaOutput(attribute(scPath, DCM_Manufacturer), attribute(scPath, DCM_SOPClassUID)));
  EXPECT_FALSE(isSagittaOutput(kManufacturer, input_.source.sopClassUid));  // a film, whatever its manufacturer says
  EXPECT_FALSE(isSagittaOutput("Another vendor", attribute(srPath, DCM_SOPClassUID)));
}

// The SC copies what the source says and invents nothing: its body part, its lossy history.
TEST_F(Report, OverlayInheritsBodyPartAndLossyHistoryFromItsSource) {
  const auto plain = (dir_ / "sc_plain.dcm").string();
  writeOverlay(input_, radiograph_.display, plain);
  EXPECT_EQ(attribute(plain, DCM_LossyImageCompression), "00");
  EXPECT_EQ(attribute(plain, DCM_BodyPartExamined), input_.source.bodyPartExamined);

  input_.source.bodyPartExamined.clear();
  input_.source.lossyCompressed = true;
  input_.source.lossyCompressionMethod = "ISO_10918_1";
  const auto lossy = (dir_ / "sc_lossy.dcm").string();
  writeOverlay(input_, radiograph_.display, lossy);
  EXPECT_EQ(attribute(lossy, DCM_LossyImageCompression), "01");
  EXPECT_EQ(attribute(lossy, DCM_LossyImageCompressionMethod), "ISO_10918_1");
  DcmFileFormat file;
  ASSERT_TRUE(file.loadFile(lossy.c_str()).good());
  EXPECT_FALSE(file.getDataset()->tagExists(DCM_BodyPartExamined));
}

TEST_F(Report, JpegCompressedSourceIsReadAsLossy) {
  const auto source = (dir_ / "source.dcm").string();
  const auto jpeg = (dir_ / "source_jpeg.dcm").string();
  // DCMTK's encoder (dcmtk, installed by setup): 12-bit lossy JPEG extended, which also writes
  // Lossy Image Compression 01. Without that attribute the transfer syntax alone must say so.
  ASSERT_EQ(std::system(("dcmcjpeg --encode-extended \"" + source + "\" \"" + jpeg + "\"").c_str()), 0);
  EXPECT_TRUE(readRadiograph(jpeg).info.lossyCompressed);
  ASSERT_EQ(std::system(("dcmodify -nb -ea \"(0028,2110)\" -ea \"(0028,2114)\" \"" + jpeg + "\"").c_str()), 0);
  const auto r = readRadiograph(jpeg);
  EXPECT_TRUE(r.info.lossyCompressed);
  EXPECT_EQ(r.info.lossyCompressionMethod, "ISO_10918_1");
  EXPECT_FALSE(radiograph_.info.lossyCompressed);
}

TEST_F(Report, OverlayIsAnRgbSecondaryCaptureOfAtMost2048Rows) {
  const auto path = (dir_ / "sc.dcm").string();
  writeOverlay(input_, radiograph_.display, path);
  EXPECT_EQ(attribute(path, DCM_SOPClassUID), UID_SecondaryCaptureImageStorage);
  EXPECT_EQ(attribute(path, DCM_PhotometricInterpretation), "RGB");
  EXPECT_EQ(attribute(path, DCM_BurnedInAnnotation), "YES");
  EXPECT_EQ(attribute(path, DCM_StudyInstanceUID), input_.source.study.studyInstanceUid);
  EXPECT_LE(std::stoi(attribute(path, DCM_Rows)), kOverlayMaxRows);
  // A tall source is scaled down with its aspect kept (plus the legend panel on the right).
  cv::Mat tall;
  cv::resize(radiograph_.display, tall, cv::Size(radiograph_.display.cols * 4, radiograph_.display.rows * 4));
  const cv::Mat picture = renderOverlay(input_, tall);
  EXPECT_EQ(picture.rows, kOverlayMaxRows);
  // The construction lines are drawn: the picture is not grey anywhere near the landmarks.
  cv::Mat hsv;
  cv::cvtColor(picture, hsv, cv::COLOR_BGR2HSV);
  std::vector<cv::Mat> channels;
  cv::split(hsv, channels);
  EXPECT_GT(cv::countNonZero(channels[1] > 100), 2000);
}


// Nothing is cut off, whatever the film's size or aspect: a whole-spine film, a short wide crop,
// a small film, a very tall one. The film is a flat grey here, so every drawn pixel shows; the
// canvas keeps a margin of untouched panel colour on the right and at the bottom, and every
// callout ends inside the film.
TEST_F(Report, OverlayKeepsEveryLabelInsideAtAnyFilmShape) {
  struct Shape {
    double sx, sy;
  };
  for (const auto shape : {Shape{1.0, 1.0}, Shape{2.5, 0.5}, Shape{0.5, 0.4}, Shape{0.6, 3.0}, Shape{3.0, 3.0}}) {
    SCOPED_TRACE(std::to_string(shape.sx) + " x " + std::to_string(shape.sy));
    const int cols = static_cast<int>(radiograph_.display.cols * shape.sx);
    const int rows = static_cast<int>(radiograph_.display.rows * shape.sy);
    const cv::Mat flat(rows, cols, CV_8UC1, cv::Scalar(128));
    ReportInput scaled = input_;
    for (const auto& info : core::landmarkCatalogue()) {
      if (!scaled.landmarks.landmarks.has(info.id)) continue;
      auto p = scaled.landmarks.landmarks.at(info.id);
      p.x *= shape.sx;
      p.y *= shape.sy;
      scaled.landmarks.landmarks.set(info.id, p);
    }
    const cv::Mat picture = renderOverlay(scaled, flat);
    const double scale = std::min(1.0, static_cast<double>(kOverlayMaxRows) / rows);
    const int filmCols = std::max(1, static_cast<int>(cols * scale));
    const int filmRows = std::max(1, static_cast<int>(rows * scale));
    ASSERT_GT(picture.cols, filmCols);
    const int margin = 3;
    const cv::Vec3b panel(24, 24, 24);
    int bannerRows = 0;  // the banner spans the whole width
    while (bannerRows < picture.rows && picture.at<cv::Vec3b>(bannerRows, picture.cols - 1) == cv::Vec3b(0, 0, 170)) {
      ++bannerRows;
    }
    ASSERT_GT(bannerRows, 10);
    for (int y = bannerRows; y < picture.rows; ++y) {
      for (int x = picture.cols - margin; x < picture.cols; ++x) {
        ASSERT_EQ(picture.at<cv::Vec3b>(y, x), panel) << "drawn at the right edge, row " << y;
      }
    }
    for (int y = picture.rows - margin; y < picture.rows; ++y) {
      for (int x = filmCols; x < picture.cols; ++x) ASSERT_EQ(picture.at<cv::Vec3b>(y, x), panel) << "drawn at the bottom";
    }
    // The legend needs its height: a film shorter than that gets panel colour below it.
    EXPECT_GE(picture.rows, filmRows);
    // Callouts stay in the film: its last columns are untouched grey below the banner, except
    // where a construction line itself runs.
    int touched = 0;
    for (int y = bannerRows; y < filmRows; ++y) {
      const auto v = picture.at<cv::Vec3b>(y, filmCols - 1);
      touched += v != cv::Vec3b(128, 128, 128) ? 1 : 0;
    }
    EXPECT_LT(touched, filmRows / 20) << "labels reach the film's right edge";
  }
}

// Cornerstone3D's own arithmetic (@cornerstonejs/tools 5.6.8): angleBetweenLines takes
// v1 = l1[1] - l1[0] and v2 = l2[0] - l2[1]. AngleTool measures ([p0, p1], [p1, p2]) of its three
// handles; CobbAngleTool
// first orients both lines towards their two nearest end points.
double cornerstoneLinesAngle(core::Vec2 a0, core::Vec2 a1, core::Vec2 b0, core::Vec2 b1) {
  const core::Vec2 v1 = a1 - a0, v2 = b0 - b1;
  const double cosine = (v1.x * v2.x + v1.y * v2.y) / (std::hypot(v1.x, v1.y) * std::hypot(v2.x, v2.y));
  return std::acos(cosine) * 180.0 / M_PI;
}

// The Angle adapter reads points 0, 1 and 3 of TID 300's four (the vertex twice).
double cornerstoneAngle(const std::vector<core::Vec2>& p) { return cornerstoneLinesAngle(p[0], p[1], p[1], p[3]); }

double cornerstoneCobbAngle(const std::vector<core::Vec2>& p) {
  double best = 1e300;
  core::Vec2 s1[2], s2[2];
  for (std::size_t i = 0; i < 2; ++i) {
    for (std::size_t j = 2; j < 4; ++j) {
      const double d = std::hypot(p[i].x - p[j].x, p[i].y - p[j].y);
      if (d < best) {
        best = d;
        s1[1] = p[i];
        s1[0] = p[(i + 1) % 2];
        s2[0] = p[j];
        s2[1] = p[2 + ((j - 1) % 2)];
      }
    }
  }
  return cornerstoneLinesAngle(s1[0], s1[1], s2[0], s2[1]);
}

// What OHIF loads as an editable tool must measure what the SR says (unsigned, as Cornerstone's
// tools are), on phantoms of every pathology: otherwise the first touch would change the value.
TEST(CornerstoneTools, EachToolRecomputesTheParameterFromTheGraphicsPoints) {
  phantom::GeneratorOptions options;
  options.rows = 900;
  int checked = 0;
  for (int index = 0; index < 12; ++index) {
    const auto film = phantom::generateCase(9100, index, options);
    const auto m = core::measure(film.truth.landmarks, core::Calibration{});
    for (const auto& value : m.parameters) {
      if (!value.value) continue;
      const auto points = measurementGraphicOf(value.id, film.truth.landmarks);
      const std::string key(core::parameterInfo(value.id).key);
      switch (cornerstoneToolOf(value.id)) {
        case CornerstoneTool::Angle:
          ASSERT_EQ(points.size(), 4U) << key;
          EXPECT_EQ(points[1].x, points[2].x) << key;
          EXPECT_EQ(points[1].y, points[2].y) << key;
          EXPECT_NEAR(cornerstoneAngle(points), std::abs(*value.value), 0.01) << key << " film " << index;
          ++checked;
          break;
        case CornerstoneTool::CobbAngle:
          ASSERT_EQ(points.size(), 4U) << key;
          EXPECT_NEAR(cornerstoneCobbAngle(points), std::abs(*value.value), 0.01) << key << " film " << index;
          ++checked;
          break;
        case CornerstoneTool::None:
          EXPECT_EQ(trackingIdentifierOf(value.id), key);
          break;
      }
    }
  }
  EXPECT_GE(checked, 12 * 15);
  EXPECT_EQ(trackingIdentifierOf(core::ParameterId::LL), "Cornerstone3DTools@^0.1.0:CobbAngle:LL");
  EXPECT_EQ(trackingIdentifierOf(core::ParameterId::PI), "Cornerstone3DTools@^0.1.0:Angle:PI");
  EXPECT_EQ(parameterKeyOfTrackingIdentifier("Cornerstone3DTools@^0.1.0:Angle:PI"), "PI");
  EXPECT_EQ(parameterKeyOfTrackingIdentifier("SVA"), "SVA");  // and the bare keys of earlier SRs
}

}  // namespace
}  // namespace sagitta::dicom
