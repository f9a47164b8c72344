// SPDX-License-Identifier: GPL-3.0-or-later
// Replays the fuzzers' seed corpora and every input they found (fuzz/regressions/) through the
// readers in the normal build (GCC, and ASan + UBSan in the asan preset): each is read or
// refused with a typed error, nothing else.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sagitta/core/errors.hpp"
#include "sagitta/core/landmarks_json.hpp"
#include "sagitta/core/measurement.hpp"
#include "sagitta/dicom/radiograph.hpp"

namespace sagitta {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> inputs(const std::string& target) {
  std::vector<fs::path> files;
  for (const char* kind : {"corpus", "regressions"}) {
    const fs::path dir = fs::path(SAGITTA_FUZZ_DIR) / kind / target;
    if (!fs::is_directory(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
  }
  return files;
}

std::string bytesOf(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(FuzzRegressions, DicomReaderReadsOrRefusesEveryKnownInput) {
  const auto files = inputs("dicom_reader");
  ASSERT_GE(files.size(), 10U);
  int read = 0, refused = 0;
  for (const auto& path : files) {
    const auto bytes = bytesOf(path);
    try {
      const auto r = dicom::readRadiograph(bytes.data(), bytes.size(), {4'000'000});
      EXPECT_EQ(r.display.rows, r.info.rows) << path;
      ++read;
    } catch (const core::Error& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << path;
      ++refused;
    }
  }
  EXPECT_GE(read, 8) << "the seed corpus decodes";
  EXPECT_GE(refused, 1) << "the regressions are refused";
}

TEST(FuzzRegressions, LandmarksReaderReadsOrRefusesEveryKnownInput) {
  const auto files = inputs("landmarks_json");
  ASSERT_GE(files.size(), 3U);
  for (const auto& path : files) {
    try {
      const auto file = core::parseLandmarksJson(bytesOf(path));
      core::measure(file.landmarks, file.image.calibration);
    } catch (const core::Error&) {
    }
  }
}

}  // namespace
}  // namespace sagitta
