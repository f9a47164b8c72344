// SPDX-License-Identifier: GPL-3.0-or-later
// Reading radiographs: every transfer syntax DCMTK decodes (files made here from a phantom with
// DCMTK's own converters), python3-pydicom's sample files, and every kind of bad input.
#include <sys/wait.h>

#include <cstdlib>
#include <iostream>
#include <filesystem>
#include <fstream>
#include <string>

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "sagitta/dicom/errors.hpp"
#include "sagitta/dicom/radiograph.hpp"
#include "sagitta/phantom/dicom_writer.hpp"
#include "sagitta/phantom/generator.hpp"
#include "support/dicom_edit.hpp"

namespace sagitta::dicom {
namespace {

namespace fs = std::filesystem;

bool run(const std::string& command) {
  const int status = std::system((command + " >/dev/null 2>&1").c_str());
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool haveTool(const char* tool) { return run(std::string("command -v ") + tool); }

std::string readBytes(const fs::path& path) {
  std::string bytes(fs::file_size(path), '\0');
  std::ifstream(path, std::ios::binary).read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return bytes;
}

// One small phantom DX (about 700 x 300, 12-16 bits) shared by the tests of this file.
class DicomReader : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("sagitta-dicom-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    phantom::GeneratorOptions options;
    options.rows = 700;
    options.varieties = phantom::VarietyPolicy::parse("normal");
    phantomCase_ = new phantom::PhantomCase(phantom::generateCase(77, 1, options));
    source_ = (dir_ / "source.dcm").string();
    phantom::writeDicom(*phantomCase_, source_);
  }
  static void TearDownTestSuite() {
    fs::remove_all(dir_);
    delete phantomCase_;
  }
  static fs::path dir_;
  static std::string source_;
  static phantom::PhantomCase* phantomCase_;
};
fs::path DicomReader::dir_;
std::string DicomReader::source_;
phantom::PhantomCase* DicomReader::phantomCase_ = nullptr;

TEST_F(DicomReader, ReadsIdentifiersModulesAndCalibration) {
  const Radiograph r = readRadiograph(source_);
  EXPECT_EQ(r.info.sopClassUid, UID_DigitalXRayImageStorageForPresentation);
  EXPECT_EQ(r.info.rows, phantomCase_->pixels.rows);
  EXPECT_EQ(r.info.columns, phantomCase_->pixels.cols);
  EXPECT_EQ(r.info.modality, "DX");
  EXPECT_EQ(r.info.bodyPartExamined, "SPINE");
  EXPECT_TRUE(r.info.viewPosition == "LL" || r.info.viewPosition == "RL");
  EXPECT_EQ(r.info.patient.name.rfind("PHANTOM^SPINE^", 0), 0U);
  EXPECT_FALSE(r.info.study.studyInstanceUid.empty());
  EXPECT_EQ(r.info.calibration.kind, core::CalibrationKind::PixelSpacing);  // png-size phantoms state PS
  EXPECT_NEAR(r.info.calibration.rowSpacingMm, phantomCase_->placement.rowSpacing, 1e-4);
  EXPECT_EQ(r.window, "window");
  EXPECT_EQ(r.display.type(), CV_8U);
  EXPECT_EQ(r.display.rows, r.info.rows);
}

// The phantom's window is linear by omission (the DICOM default), not by a VOI LUT Function
// attribute, which OHIF 3.13's Cornerstone3D cannot read (docs/CONFORMANCE.md).
TEST_F(DicomReader, ThePhantomWindowIsLinearWithoutAVoiLutFunction) {
  DcmFileFormat file;
  ASSERT_TRUE(file.loadFile(source_.c_str()).good());
  EXPECT_FALSE(file.getDataset()->tagExists(DCM_VOILUTFunction));
  EXPECT_TRUE(file.getDataset()->tagExists(DCM_WindowCenter));
  EXPECT_TRUE(file.getDataset()->tagExists(DCM_WindowWidth));
}

TEST_F(DicomReader, DisplayMatchesThePhantomsOwnWindowedView) {
  const Radiograph r = readRadiograph(source_);
  const cv::Mat expected = phantomCase_->windowed8();
  cv::Mat difference;
  cv::absdiff(r.display, expected, difference);
  EXPECT_LE(cv::mean(difference)[0], 2.0);  // same windowing up to rounding
}

TEST_F(DicomReader, FromMemoryEqualsFromFile) {
  const std::string bytes = readBytes(source_);
  const Radiograph a = readRadiograph(source_);
  const Radiograph b = readRadiograph(bytes.data(), bytes.size());
  EXPECT_EQ(cv::norm(a.display, b.display, cv::NORM_INF), 0.0);
  EXPECT_EQ(a.info.sopInstanceUid, b.info.sopInstanceUid);
}

struct Conversion {
  const char* name;
  const char* tool;
  const char* options;
  const char* transferSyntax;
  bool lossless;
};

class TransferSyntaxes : public DicomReader, public ::testing::WithParamInterface<Conversion> {};

TEST_P(TransferSyntaxes, DecodeLikeTheUncompressedSource) {
  const auto& c = GetParam();
  if (!haveTool(c.tool)) GTEST_SKIP() << c.tool << " not installed";
  std::string input = source_;
  if (std::string(c.name) == "JpegBaseline8Bit") {  // baseline JPEG needs 8 bits: an 8-bit SC via img2dcm
    if (!haveTool("img2dcm")) GTEST_SKIP() << "img2dcm not installed";
    const auto png = (dir_ / "eight.png").string(), jpg = (dir_ / "eight.jpg").string();
    cv::imwrite(jpg, phantomCase_->windowed8(), {cv::IMWRITE_JPEG_QUALITY, 95});
    input = (dir_ / "eight.dcm").string();
    ASSERT_TRUE(run("img2dcm -i JPEG " + jpg + " " + input + " -k PatientName=PHANTOM"));
    const Radiograph r = readRadiograph(input);
    EXPECT_EQ(r.info.transferSyntaxUid, UID_JPEGProcess1TransferSyntax);
    EXPECT_EQ(r.display.size(), phantomCase_->pixels.size());
    return;
  }
  const auto output = (dir_ / (std::string(c.name) + ".dcm")).string();
  ASSERT_TRUE(run(std::string(c.tool) + " " + c.options + " " + input + " " + output)) << c.tool;
  const Radiograph r = readRadiograph(output);
  EXPECT_EQ(r.info.transferSyntaxUid, c.transferSyntax);
  const Radiograph reference = readRadiograph(source_);
  cv::Mat difference;
  cv::absdiff(r.display, reference.display, difference);
  if (c.lossless) {
    EXPECT_EQ(cv::norm(difference, cv::NORM_INF), 0.0);
  } else {
    EXPECT_LE(cv::mean(difference)[0], 3.0);
  }
}

INSTANTIATE_TEST_SUITE_P(
    DcmtkConverters, TransferSyntaxes,
    ::testing::Values(
        Conversion{"ImplicitLittle", "dcmconv", "+ti", UID_LittleEndianImplicitTransferSyntax, true},
        Conversion{"ExplicitBig", "dcmconv", "+tb", UID_BigEndianExplicitTransferSyntax, true},
        Conversion{"Deflated", "dcmconv", "+td", UID_DeflatedExplicitVRLittleEndianTransferSyntax, true},
        Conversion{"JpegLossless", "dcmcjpeg", "+el", UID_JPEGProcess14TransferSyntax, true},
        Conversion{"JpegLosslessSV1", "dcmcjpeg", "+e1", UID_JPEGProcess14SV1TransferSyntax, true},
        Conversion{"JpegExtended12Bit", "dcmcjpeg", "+ee +un +sr", UID_JPEGProcess2_4TransferSyntax, false},
        Conversion{"JpegBaseline8Bit", "dcmcjpeg", "", UID_JPEGProcess1TransferSyntax, false},
        Conversion{"JpegLsLossless", "dcmcjpls", "+el", UID_JPEGLSLosslessTransferSyntax, true},
        Conversion{"JpegLsNearLossless", "dcmcjpls", "+en +md 2", UID_JPEGLSLossyTransferSyntax, false},
        Conversion{"Rle", "dcmcrle", "", UID_RLELosslessTransferSyntax, true}),
    [](const ::testing::TestParamInfo<Conversion>& param) { return std::string(param.param.name); });

TEST_F(DicomReader, Jpeg2000IsUnsupportedWithItsUid) {
  // An encapsulated JPEG 2000 object (its single fragment is not decodable, and need not be).
  DcmFileFormat file;
  ASSERT_TRUE(file.loadFile(source_.c_str()).good());
  DcmDataset& d = *file.getDataset();
  sagitta::testing::encapsulateAsUndecodableJpeg2000(d);
  const auto path = (dir_ / "j2k.dcm").string();
  ASSERT_TRUE(file.saveFile(path.c_str(), EXS_JPEG2000LosslessOnly).good());
  try {
    readRadiograph(path);
    FAIL() << "JPEG 2000 accepted";
  } catch (const UnsupportedTransferSyntax& e) {
    EXPECT_EQ(e.uid(), UID_JPEG2000LosslessOnlyTransferSyntax);
    EXPECT_NE(std::string(e.what()).find("unsupported transfer syntax 1.2.840.10008.1.2.4.90"), std::string::npos);
  }
}

// What the plugin does with a file DCMTK cannot decompress: the header from the file, the frame
// from Orthanc's decoder. A real JPEG 2000 file (GDCM's gdcmconv), the frame taken from the
// uncompressed original, must render exactly as the original does.
TEST_F(DicomReader, Jpeg2000WithAnExternallyDecodedFrameRendersAsTheOriginal) {
  ASSERT_TRUE(haveTool("gdcmconv")) << "gdcmconv (libgdcm-tools) is installed by scripts/setup.sh";
  const auto j2k = (dir_ / "real-j2k.dcm").string();
  ASSERT_TRUE(run("gdcmconv --j2k " + source_ + " " + j2k));
  const std::string bytes = readBytes(j2k);
  EXPECT_THROW(readRadiograph(bytes.data(), bytes.size()), UnsupportedTransferSyntax);

  DcmFileFormat original;
  ASSERT_TRUE(original.loadFile(source_.c_str()).good());
  const Uint16* values = nullptr;
  ASSERT_TRUE(original.getDataset()->findAndGetUint16Array(DCM_PixelData, values).good());
  const Radiograph reference = readRadiograph(source_);
  DecodedFrame frame;
  frame.format = DecodedFrame::Format::Grey16;
  frame.width = reference.info.columns;
  frame.height = reference.info.rows;
  frame.pitch = 2U * static_cast<std::size_t>(frame.width);
  frame.data = values;
  frame.decoder = "the test";
  const Radiograph r = readRadiograph(bytes.data(), bytes.size(), frame);
  EXPECT_EQ(r.info.transferSyntaxUid, UID_JPEG2000LosslessOnlyTransferSyntax);
  EXPECT_EQ(r.info.sopInstanceUid, reference.info.sopInstanceUid);
  EXPECT_EQ(r.info.calibration.rowSpacingMm, reference.info.calibration.rowSpacingMm);
  EXPECT_EQ(r.window, reference.window);
  ASSERT_EQ(r.display.size(), reference.display.size());
  EXPECT_EQ(cv::norm(r.display, reference.display, cv::NORM_INF), 0.0);
  ASSERT_EQ(r.warnings.size(), 1U);
  EXPECT_NE(r.warnings[0].find("decoded by the test"), std::string::npos) << r.warnings[0];

  // A frame that does not fit the header is refused, never stretched or cropped.
  DecodedFrame wrong = frame;
  wrong.height -= 1;
  EXPECT_THROW(readRadiograph(bytes.data(), bytes.size(), wrong), DecodeFailure);
  wrong = frame;
  wrong.pitch = 10;
  EXPECT_THROW(readRadiograph(bytes.data(), bytes.size(), wrong), DecodeFailure);
}

template <typename E>
void expectError(const std::string& path, const std::string& fragment) {
  try {
    readRadiograph(path);
    ADD_FAILURE() << "accepted " << path;
  } catch (const E& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(fragment), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong error type for " << path << ": " << e.what();
  }
}

TEST_F(DicomReader, BadInputsAreTypedErrors) {
  const std::string bytes = readBytes(source_);
  auto write = [&](const std::string& name, const std::string& content) {
    const auto path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  };
  expectError<TruncatedFile>(write("truncated.dcm", bytes.substr(0, bytes.size() * 6 / 10)), "truncated");
  expectError<NotDicom>(write("empty.dcm", ""), "not a DICOM Part 10 file");
  expectError<NotDicom>(write("text.dcm", std::string(400, 'x')), "not a DICOM Part 10 file");
  expectError<NotDicom>((dir_ / "missing.dcm").string(), "cannot open");
  if (haveTool("dcmconv")) {  // a raw data set without preamble and meta header
    const auto raw = (dir_ / "raw.dcm").string();
    ASSERT_TRUE(run("dcmconv -F +te " + source_ + " " + raw));
    expectError<NotDicom>(raw, "no file meta header");
  }
  {
    DcmFileFormat file;
    ASSERT_TRUE(file.loadFile(source_.c_str()).good());
    file.getDataset()->findAndDeleteElement(DCM_PixelData);
    const auto path = (dir_ / "nopixels.dcm").string();
    ASSERT_TRUE(file.saveFile(path.c_str(), EXS_LittleEndianExplicit).good());
    expectError<NotAnImage>(path, "no pixel data");
    file.getDataset()->putAndInsertString(DCM_SOPClassUID, UID_ComprehensiveSRStorage);
    file.getMetaInfo()->putAndInsertString(DCM_MediaStorageSOPClassUID, UID_ComprehensiveSRStorage);
    const auto sr = (dir_ / "sr.dcm").string();
    ASSERT_TRUE(file.saveFile(sr.c_str(), EXS_LittleEndianExplicit).good());
    expectError<NotAnImage>(sr, "not an image: SOP class 1.2.840.10008.5.1.4.1.1.88.33");
  }
  {
    DcmFileFormat file;
    ASSERT_TRUE(file.loadFile(source_.c_str()).good());
    file.getDataset()->putAndInsertString(DCM_PixelSpacing, "0\\0.1");
    const auto path = (dir_ / "zerospacing.dcm").string();
    ASSERT_TRUE(file.saveFile(path.c_str(), EXS_LittleEndianExplicit).good());
    expectError<core::InvalidCalibration>(path, "Pixel Spacing (0028,0030) must be > 0");
  }
  {
    DcmFileFormat file;
    ASSERT_TRUE(file.loadFile(source_.c_str()).good());
    file.getDataset()->putAndInsertUint16(DCM_Rows, 60000);
    file.getDataset()->putAndInsertUint16(DCM_Columns, 60000);
    const auto path = (dir_ / "huge.dcm").string();
    ASSERT_TRUE(file.saveFile(path.c_str(), EXS_LittleEndianExplicit).good());
    expectError<NotAnImage>(path, "image too large: 60000 x 60000");
  }
}

TEST_F(DicomReader, WithoutWindowAPercentileWindowIsUsed) {
  DcmFileFormat file;
  ASSERT_TRUE(file.loadFile(source_.c_str()).good());
  file.getDataset()->findAndDeleteElement(DCM_WindowCenter);
  file.getDataset()->findAndDeleteElement(DCM_WindowWidth);
  const auto path = (dir_ / "nowindow.dcm").string();
  ASSERT_TRUE(file.saveFile(path.c_str(), EXS_LittleEndianExplicit).good());
  const Radiograph r = readRadiograph(path);
  EXPECT_EQ(r.window, "percentile");
  cv::Scalar mean, sd;
  cv::meanStdDev(r.display, mean, sd);
  EXPECT_GT(sd[0], 30.0);  // uses the grey range, not a flat image
  // Same polarity as the windowed view: bright where the phantom's own view is bright.
  cv::Mat a, b;
  r.display.convertTo(a, CV_32F);
  phantomCase_->windowed8().convertTo(b, CV_32F);
  EXPECT_GT(cv::mean(a.mul(b))[0] - cv::mean(a)[0] * cv::mean(b)[0], 0.0);
}

TEST_F(DicomReader, ZeroPixelSpacingFallsBackToImagerPixelSpacing) {
  DcmFileFormat file;
  ASSERT_TRUE(file.loadFile(source_.c_str()).good());
  file.getDataset()->putAndInsertString(DCM_PixelSpacing, "0\\0");
  const auto path = (dir_ / "zero.dcm").string();
  ASSERT_TRUE(file.saveFile(path.c_str(), EXS_LittleEndianExplicit).good());
  const Radiograph r = readRadiograph(path);
  EXPECT_EQ(r.info.calibration.kind, core::CalibrationKind::ImagerPixelSpacingMagnified);
}

// python3-pydicom ships ~94 sample files of every kind: each is read or refused with a typed
// error, never a crash.
TEST(DicomReaderSamples, MultiFrameUsesTheFirstFrameWithAWarning) {
  const fs::path file = "/usr/lib/python3/dist-packages/pydicom/data/test_files/rtdose.dcm";
  if (!fs::exists(file)) GTEST_SKIP() << "python3-pydicom not installed";
  const Radiograph r = readRadiograph(file.string());  // 15 frames, 32-bit, no window
  EXPECT_EQ(r.info.frames, 15);
  ASSERT_FALSE(r.warnings.empty());
  EXPECT_NE(r.warnings.front().find("multi-frame image (15 frames): the first frame is used"), std::string::npos);
  EXPECT_EQ(r.window, "percentile");
  EXPECT_EQ(r.display.rows, r.info.rows);
}

// Compressed multi-frame objects (../shared/realdicom, real files from public corpora): only the
// first frame is decompressed, and the pixel limit counts every frame.
TEST(DicomReaderSamples, CompressedMultiFrameDecodesOnlyItsFirstFrameWithinTheLimit) {
  const fs::path folder = SAGITTA_REALDICOM_DIR;
  const auto xa = folder / "r15_XA_multiframe96_jpegbaseline.dcm";  // 96 x 512 x 512, JPEG baseline
  const auto ct = folder / "e07_multiframe_fragmented_noBOT_jpeg12.dcm";  // 2 frames, no offset table
  if (!fs::exists(xa) || !fs::exists(ct)) GTEST_SKIP() << "no " << folder.string();
  const Radiograph r = readRadiograph(xa.string());
  EXPECT_EQ(r.info.frames, 96);
  EXPECT_EQ(r.display.rows, 512);
  EXPECT_EQ(r.display.cols, 512);
  cv::Scalar mean, sd;
  cv::meanStdDev(r.display, mean, sd);
  EXPECT_GT(sd[0], 5.0);  // a real picture, not a zero-filled frame
  ASSERT_FALSE(r.warnings.empty());
  EXPECT_NE(r.warnings.front().find("96 frames"), std::string::npos);
  EXPECT_EQ(readRadiograph(ct.string()).display.rows, 512);
  // 96 frames of 262144 pixels are 25.2 Mpixel: over a 20 Mpixel limit although one frame is not.
  try {
    readRadiograph(xa.string(), ReadLimits{20'000'000});
    FAIL() << "a 96-frame object passed a 20 Mpixel limit";
  } catch (const NotAnImage& e) {
    EXPECT_NE(std::string(e.what()).find("96 frames"), std::string::npos) << e.what();
  }
}

TEST(DicomReaderSamples, SignedSixteenBitWithRescaleDecodes) {
  const fs::path file = "/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm";
  if (!fs::exists(file)) GTEST_SKIP() << "python3-pydicom not installed";
  const Radiograph r = readRadiograph(file.string());
  EXPECT_TRUE(r.info.signedPixels);
  cv::Scalar mean, sd;
  cv::meanStdDev(r.display, mean, sd);
  EXPECT_GT(sd[0], 10.0);
}

TEST(DicomReaderSamples, PydicomTestFilesNeverCrash) {
  const fs::path dir = "/usr/lib/python3/dist-packages/pydicom/data/test_files";
  if (!fs::exists(dir)) GTEST_SKIP() << "python3-pydicom not installed";
  int read = 0, refused = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.file_size() > 50'000'000) continue;
    try {
      const Radiograph r = readRadiograph(entry.path().string());
      EXPECT_EQ(r.display.rows, r.info.rows) << entry.path();
      ++read;
    } catch (const DicomError&) {
      ++refused;
    } catch (const core::Error&) {
      ++refused;
    }
  }
  EXPECT_GT(read, 20);
  EXPECT_GT(refused, 5);
  std::cout << "pydicom samples: " << read << " decoded, " << refused << " refused with a reason\n";
}

}  // namespace
}  // namespace sagitta::dicom
