// SPDX-License-Identifier: GPL-3.0-or-later
// Images given to `sagitta analyse` / `eval` as PNG, JPEG or DICOM: the kind comes from the
// bytes, not the name; colour becomes grey; the pixel spacing is the caller's or none.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "sagitta/core/errors.hpp"
#include "sagitta/dicom/errors.hpp"
#include "sagitta/dicom/input_image.hpp"
#include "support/scratch.hpp"

namespace sagitta::dicom {
namespace {

namespace fs = std::filesystem;

const fs::path kPydicomCt = "/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm";

cv::Mat gradient(int rows, int cols) {
  cv::Mat image(rows, cols, CV_8U);
  for (int y = 0; y < rows; ++y) image.row(y).setTo(cv::Scalar(y * 255 / std::max(1, rows - 1)));
  cv::circle(image, {cols / 2, rows / 3}, cols / 5, cv::Scalar(250), cv::FILLED);
  return image;
}

TEST(InputImage, GreyPngIsUncalibratedUnlessASpacingIsGiven) {
  const auto dir = testing::scratch("input-grey");
  const auto path = (dir / "film.png").string();
  ASSERT_TRUE(cv::imwrite(path, gradient(300, 120)));
  EXPECT_EQ(sniffInputKind(path), InputKind::Raster);
  const auto plain = readInputImage(path, std::nullopt);
  EXPECT_EQ(plain.info.rows, 300);
  EXPECT_EQ(plain.info.columns, 120);
  EXPECT_FALSE(plain.info.calibration.calibrated());
  EXPECT_TRUE(plain.warnings.empty());
  EXPECT_EQ(plain.display.type(), CV_8U);
  EXPECT_EQ(plain.display.at<unsigned char>(299, 0), 255);

  const auto given = readInputImage(path, 0.25);
  ASSERT_TRUE(given.info.calibration.calibrated());
  EXPECT_DOUBLE_EQ(given.info.calibration.rowSpacingMm, 0.25);
  EXPECT_DOUBLE_EQ(given.info.calibration.columnSpacingMm, 0.25);
  EXPECT_NE(given.info.calibration.note.find("given by the user"), std::string::npos) << given.info.calibration.note;
  EXPECT_THROW(readInputImage(path, 0.0), core::InvalidCalibration);
  EXPECT_THROW(readInputImage(path, -1.0), core::InvalidCalibration);
}

TEST(InputImage, ColourJpegBecomesGreyWithAWarning) {
  const auto dir = testing::scratch("input-colour");
  cv::Mat colour;
  cv::cvtColor(gradient(200, 100), colour, cv::COLOR_GRAY2BGR);
  colour.col(10).setTo(cv::Scalar(255, 0, 0));  // a blue pen line
  const auto path = (dir / "photo.jpeg").string();
  ASSERT_TRUE(cv::imwrite(path, colour));
  const auto r = readInputImage(path, std::nullopt);
  EXPECT_EQ(r.info.photometric, "RGB");
  EXPECT_EQ(r.display.channels(), 1);
  ASSERT_EQ(r.warnings.size(), 1U);
  EXPECT_NE(r.warnings[0].find("colour"), std::string::npos);
}

TEST(InputImage, TheKindComesFromTheBytesNotTheName) {
  const auto dir = testing::scratch("input-names");
  // A PNG named .dcm is read as a PNG...
  const auto png = (dir / "misnamed.dcm").string();
  ASSERT_TRUE(cv::imwrite((dir / "tmp.png").string(), gradient(64, 32)));
  fs::rename(dir / "tmp.png", png);
  EXPECT_EQ(sniffInputKind(png), InputKind::Raster);
  EXPECT_EQ(readInputImage(png, std::nullopt).info.rows, 64);
  // ...and a DICOM file named .png as DICOM.
  if (!fs::exists(kPydicomCt)) GTEST_SKIP() << "python3-pydicom's test files are not installed";
  const auto dcm = dir / "misnamed.png";
  fs::copy_file(kPydicomCt, dcm);
  EXPECT_EQ(sniffInputKind(dcm.string()), InputKind::Dicom);
  const auto r = readInputImage(dcm.string(), 0.5);
  EXPECT_EQ(r.info.modality, "CT");
  EXPECT_TRUE(r.info.calibration.calibrated());  // the file's own spacing wins over the given one
  EXPECT_EQ(r.info.calibration.note.find("user"), std::string::npos) << r.info.calibration.note;
  ASSERT_FALSE(r.warnings.empty());
  EXPECT_NE(r.warnings.back().find("--pixel-spacing ignored"), std::string::npos) << r.warnings.back();
}

TEST(InputImage, BrokenRasterFilesAreRefusedWithAReason) {
  const auto dir = testing::scratch("input-broken");
  const auto good = dir / "good.png";
  ASSERT_TRUE(cv::imwrite(good.string(), gradient(400, 200)));
  std::ifstream in(good, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto truncated = dir / "truncated.png";
  std::ofstream(truncated, std::ios::binary) << bytes.substr(0, 40);
  EXPECT_THROW(readRasterImage(truncated.string(), std::nullopt), NotAnImage);
  const auto empty = dir / "empty.png";
  std::ofstream(empty, std::ios::binary).flush();
  EXPECT_THROW(readRasterImage(empty.string(), std::nullopt), NotAnImage);
  const auto text = dir / "notes.png";
  std::ofstream(text, std::ios::binary) << "not an image at all";
  EXPECT_THROW(readRasterImage(text.string(), std::nullopt), NotAnImage);
  EXPECT_THROW(readInputImage(text.string(), std::nullopt), NotDicom);  // not raster: the DICOM reader says why
  EXPECT_THROW(readRasterImage(good.string(), std::nullopt, ReadLimits{1000}), NotAnImage);  // over the pixel limit
  EXPECT_THROW(sniffInputKind((dir / "absent.png").string()), NotDicom);
}

}  // namespace
}  // namespace sagitta::dicom
