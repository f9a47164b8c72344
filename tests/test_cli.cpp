// SPDX-License-Identifier: GPL-3.0-or-later
// The `sagitta` command: in-process for behaviour, and once as a real process for the exit
// status seen by a shell.
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <gtest/gtest.h>

#include "cli.hpp"
#include "http_client.hpp"
#include "sagitta/core/landmarks_json.hpp"
#include "sagitta/phantom/dicom_writer.hpp"
#include "sagitta/phantom/generator.hpp"
#include "support/reference_spine.hpp"

namespace sagitta::cli {
namespace {

namespace fs = std::filesystem;

struct Result {
  int status;
  std::string out;
  std::string err;
};

Result runCli(const std::vector<std::string>& args, const std::string& stdinText = {}) {
  std::istringstream in(stdinText);
  std::ostringstream out, err;
  const int status = run(args, {in, out, err});
  return {status, out.str(), err.str()};
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sagitta-cli-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" +
            std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& content) {
    const auto path = dir_ / name;
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }

  std::string referenceFile(core::Facing facing) {
    const testing::Pose pose{facing, 0.15, 0.15};
    core::LandmarkFile file;
    file.image.columns = 3000;
    file.image.rows = 7000;
    file.image.calibration = testing::calibrationFor(pose);
    file.landmarks = testing::placeInImage(testing::referenceSpine(), pose);
    return write("reference.json", core::landmarksToJson(file));
  }

  fs::path dir_;
};

void expectBadInput(const Result& r, const std::string& fragment) {
  EXPECT_EQ(r.status, kExitBadInput);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find(fragment), std::string::npos) << r.err;
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line expected: " << r.err;
}

TEST_F(CliTest, MeasurePrintsParametersJson) {
  const auto r = runCli({"measure", "--landmarks", referenceFile(core::Facing::Left)});
  ASSERT_EQ(r.status, kExitOk) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  EXPECT_EQ(json["facing"], "left");
  EXPECT_DOUBLE_EQ(json["parameters"]["SS"]["value"].get<double>(), 36.87);
  EXPECT_DOUBLE_EQ(json["parameters"]["cSVA"]["value"].get<double>(), 40.0);
}

TEST_F(CliTest, MeasureTableAndStdin) {
  const std::string path = referenceFile(core::Facing::Right);
  std::string text(fs::file_size(path), '\0');
  std::ifstream(path, std::ios::binary).read(text.data(), static_cast<std::streamsize>(text.size()));
  const auto r = runCli({"measure", "--landmarks=-", "--format", "table"}, text);
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_NE(r.out.find("Patient faces: right"), std::string::npos);
  EXPECT_NE(r.out.find("sacral slope"), std::string::npos);
}

TEST_F(CliTest, MeasureTheShippedExample) {
  const auto r = runCli({"measure", "--landmarks", std::string(SAGITTA_EXAMPLES_DIR) + "/landmarks_adult.json"});
  ASSERT_EQ(r.status, kExitOk) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  EXPECT_EQ(json["warnings"].size(), 0U) << json["warnings"].dump();
  for (const auto& [key, value] : json["parameters"].items()) EXPECT_FALSE(value["value"].is_null()) << key;
}

TEST_F(CliTest, PartialSetPrintsNullsButStrictFails) {
  auto text = nlohmann::json::parse(std::ifstream(referenceFile(core::Facing::Right)));
  auto& points = text["landmarks"];
  points.erase(points.begin() + 1);  // C2_AI
  const auto path = write("partial.json", text.dump());
  const auto r = runCli({"measure", "--landmarks", path});
  ASSERT_EQ(r.status, kExitOk);
  EXPECT_TRUE(nlohmann::json::parse(r.out)["parameters"]["CL"]["value"].is_null());
  expectBadInput(runCli({"measure", "--landmarks", path, "--strict"}), "CL (landmark C2_AI missing)");
}

TEST_F(CliTest, BadInputsExitTwoWithOneLine) {
  expectBadInput(runCli({"measure", "--landmarks", write("a.json", "{not json")}), "invalid JSON");
  expectBadInput(runCli({"measure", "--landmarks", write("b.json", R"({"landmarks": [{"id": "X9", "x": 1, "y": 2}]})")}),
                 "unknown landmark id");
  expectBadInput(runCli({"measure", "--landmarks", write("c.json", R"({"landmarks": [{"id": "S1_A", "x": 1e400, "y": 2}]})")}),
                 "number overflow");
  expectBadInput(runCli({"measure", "--landmarks",
                         write("d.json", R"({"image": {"pixel_spacing_mm": [0, 0.1]}, "landmarks": []})")}),
                 "must be > 0");
}

TEST_F(CliTest, TooFewLandmarksForAnyParameter) {
  expectBadInput(runCli({"measure", "--landmarks",
                         write("f.json", R"({"landmarks": [{"id": "T5_AS", "x": 10, "y": 20}, {"id": "T5_PS", "x": 5, "y": 21}]})")}),
                 "no parameter can be measured");
}

TEST_F(CliTest, UpsideDownIsRejected) {
  expectBadInput(runCli({"measure", "--landmarks",
                         write("g.json", R"({"landmarks": [{"id": "C2_C", "x": 10, "y": 900}, {"id": "S1_A", "x": 14, "y": 20},
                                                           {"id": "S1_P", "x": 5, "y": 21}]})")}),
                 "upside-down");
}

TEST_F(CliTest, UsageErrors) {
  expectBadInput(runCli({"measure"}), "--landmarks is required");
  expectBadInput(runCli({"measure", "--landmarks", "x", "--format", "xml"}), "--format must be json or table");
  expectBadInput(runCli({"measure", "--bogus"}), "unknown option --bogus");
  expectBadInput(runCli({"frobnicate"}), "unknown command");
  expectBadInput(runCli({"measure", "--landmarks", (dir_ / "missing.json").string()}), "cannot read");
  EXPECT_EQ(runCli({}).status, kExitBadInput);
  EXPECT_EQ(runCli({"--help"}).status, kExitOk);
  EXPECT_EQ(runCli({"version"}).status, kExitOk);
}

TEST_F(CliTest, CatalogueListsEverything) {
  const auto r = runCli({"catalogue", "--format", "json"});
  ASSERT_EQ(r.status, kExitOk);
  const auto json = nlohmann::json::parse(r.out);
  EXPECT_EQ(json["landmarks"].size(), 45U);
  EXPECT_EQ(json["parameters"].size(), 18U);
  EXPECT_EQ(json["parameters"][0]["landmarks"], nlohmann::json({"S1_A", "S1_P", "FH_A", "FH_P"}));
}

TEST_F(CliTest, RealProcessExitStatus) {
  const std::string bad = write("bad.json", "[");
  const std::string command = std::string(SAGITTA_CLI_PATH) + " measure --landmarks " + bad + " 2>/dev/null";
  const int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), kExitBadInput);
}

}  // namespace
}  // namespace sagitta::cli

namespace sagitta::cli {
namespace {

TEST_F(CliTest, PhantomWritesImagesAndTruth) {
  const auto out = (dir_ / "ph").string();
  const auto r = runCli({"phantom", "--out", out, "--count", "2", "--seed", "9", "--mode", "png", "--rows", "200",
                         "--contact-sheet", (dir_ / "sheet.png").string()});
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_NE(r.err.find("2/2"), std::string::npos);  // progress bar
  for (const char* name : {"case_000000.png", "case_000000.json", "case_000001.png", "case_000001.json"}) {
    EXPECT_TRUE(fs::exists(dir_ / "ph" / name)) << name;
  }
  EXPECT_TRUE(fs::exists(dir_ / "sheet.png"));
  // The truth is a landmarks file: `measure` reads it.
  const auto m = runCli({"measure", "--landmarks", (dir_ / "ph" / "case_000001.json").string()});
  EXPECT_EQ(m.status, kExitOk) << m.err;
  const auto optical = runCli({"phantom", "--out", out, "--count", "1", "--mode", "optical", "--quiet"});
  ASSERT_EQ(optical.status, kExitOk) << optical.err;
  EXPECT_TRUE(fs::exists(dir_ / "ph" / "case_000000.jpg"));
}

TEST_F(CliTest, EvalWritesTheReportAndEveryPrediction) {
  const auto data = (dir_ / "labelled").string();
  ASSERT_EQ(runCli({"phantom", "--out", data, "--count", "2", "--seed", "31", "--mode", "png", "--rows", "900",
                    "--quiet"}).status, kExitOk);
  const auto out = dir_ / "evaluation";
  const auto r = runCli({"eval", "--data", data, "--bundle", SAGITTA_SHIPPED_BUNDLE, "--out", out.string(), "--quiet"});
  ASSERT_EQ(r.status, kExitOk) << r.err;
  for (const char* name : {"evaluation.md", "landmarks.csv", "parameters.csv", "images.csv", "predictions.csv",
                           "landmark_errors.png", "bland_altman.png"}) {
    EXPECT_TRUE(fs::exists(out / name)) << name;
  }
  {
    std::ifstream images(out / "images.csv");
    std::string header;
    std::getline(images, header);
    EXPECT_EQ(header, "image,accepted,reasons,median_error_mm,inference_ms,withheld");
  }
  // predictions.csv: a row per landmark and image; its error is the distance in the truth's
  // pixel spacing (the femoral heads already matched to the truth).
  std::ifstream csv(out / "predictions.csv");
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line, "image,landmark,x,y,sigma_mm,true_x,true_y,error_mm");
  const auto truth = core::parseLandmarksJson([&] {
    std::ifstream in(fs::path(data) / "case_000001.json");
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }());
  const double spacing = truth.image.calibration.rowSpacingMm;
  int rows = 0;
  while (std::getline(csv, line)) {
    ++rows;
    std::vector<std::string> f;
    std::stringstream fields(line);
    for (std::string v; std::getline(fields, v, ',');) f.push_back(v);
    ASSERT_EQ(f.size(), 8U) << line;
    if (f[0] != "case_000001") continue;
    const double dx = std::stod(f[2]) - std::stod(f[5]), dy = std::stod(f[3]) - std::stod(f[6]);
    // Positions are written to 0.01 px and errors to 0.001 mm: a distance from rounded positions
    // is off by up to 0.01 * sqrt(2) px.
    EXPECT_NEAR(std::stod(f[7]), std::hypot(dx, dy) * spacing, 0.015 * spacing + 0.001) << line;
    EXPECT_GT(std::stod(f[4]), 0.0) << line;
  }
  EXPECT_EQ(rows, 2 * 45);
}

TEST_F(CliTest, AnalyseReadsPngAndJpegFilms) {
  const auto data = (dir_ / "png").string();
  ASSERT_EQ(runCli({"phantom", "--out", data, "--count", "1", "--seed", "33", "--mode", "png", "--rows", "1200",
                    "--quiet"}).status, kExitOk);
  const auto png = (fs::path(data) / "case_000000.png").string();
  const auto truth = core::parseLandmarksJson([&] {
    std::ifstream in(fs::path(data) / "case_000000.json");
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }());
  const auto spacing = std::to_string(truth.image.calibration.rowSpacingMm);
  const auto out = dir_ / "analysed";
  const auto r = runCli({"analyse", png, "--out", out.string(), "--bundle", SAGITTA_SHIPPED_BUNDLE, "--pixel-spacing", spacing});
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_TRUE(fs::exists(out / "case_000000_overlay.png"));
  EXPECT_FALSE(fs::exists(out / "case_000000_sr.dcm"));  // a PNG has no study to file an SR into
  const auto json = nlohmann::json::parse(r.out);
  EXPECT_TRUE(json["accepted"].get<bool>());
  EXPECT_EQ(json["parameters"]["calibration"].get<std::string>(), "pixel_spacing") << r.out.substr(0, 400);
  EXPECT_TRUE(json["withheld"].empty());

  // The same film mirrored about its middle reads as a frontal view: refused, with the reason.
  cv::Mat film = cv::imread(png, cv::IMREAD_GRAYSCALE);
  const int half = film.cols / 2;
  cv::flip(film(cv::Rect(0, 0, half, film.rows)).clone(), film(cv::Rect(film.cols - half, 0, half, film.rows)), 1);
  const auto frontal = (dir_ / "frontal.jpg").string();
  ASSERT_TRUE(cv::imwrite(frontal, film));
  const auto refused = runCli({"analyse", frontal, "--out", out.string(), "--bundle", SAGITTA_SHIPPED_BUNDLE});
  EXPECT_EQ(refused.status, kExitBadInput);
  EXPECT_NE(refused.err.find("not a lateral view"), std::string::npos) << refused.err;
  EXPECT_TRUE(fs::exists(out / "frontal_analysis.json"));
  EXPECT_FALSE(fs::exists(out / "frontal_overlay.png"));
  // The American spelling is the same command.
  expectBadInput(runCli({"analyze", png, "--out", out.string(), "--pixel-spacing", "wide"}),
                 "--pixel-spacing must be a number");
}

TEST_F(CliTest, PhantomUsageErrors) {
  expectBadInput(runCli({"phantom", "--count", "2"}), "--out is required");
  expectBadInput(runCli({"phantom", "--out", dir_.string(), "--count", "0"}), "--count must be an integer");
  expectBadInput(runCli({"phantom", "--out", dir_.string(), "--seed", "-4"}), "--seed must be");
  expectBadInput(runCli({"phantom", "--out", dir_.string(), "--mode", "tiff"}), "--mode must be");
  expectBadInput(runCli({"phantom", "--out", dir_.string(), "--variety", "unicorn"}), "unknown variety");
  expectBadInput(runCli({"phantom", "--out", dir_.string(), "--mode", "dicom", "--rows", "864"}), "--rows applies");
}

}  // namespace
}  // namespace sagitta::cli

namespace sagitta::cli {
namespace {

TEST_F(CliTest, ReportInfoAndDumpSr) {
  const auto ph = (dir_ / "ph").string();
  ASSERT_EQ(runCli({"phantom", "--out", ph, "--count", "1", "--seed", "12", "--mode", "png", "--rows", "300", "--quiet"}).status,
            kExitOk);
  // A small DX from the same case, through the library, as the report input.
  phantom::GeneratorOptions options;
  options.rows = 300;
  const auto phantomCase = phantom::generateCase(12, 0, options);
  const auto dcm = (dir_ / "small.dcm").string();
  phantom::writeDicom(phantomCase, dcm);
  const auto truth = (dir_ / "ph" / "case_000000.json").string();

  const auto info = runCli({"info", dcm});
  ASSERT_EQ(info.status, kExitOk) << info.err;
  EXPECT_EQ(nlohmann::json::parse(info.out)["body_part_examined"], "SPINE");
  EXPECT_EQ(info.out.find("PHANTOM^"), std::string::npos);  // no patient name in the output

  const auto out = (dir_ / "out").string();
  const auto report = runCli({"report", dcm, "--landmarks", truth, "--out", out});
  ASSERT_EQ(report.status, kExitOk) << report.err;
  EXPECT_TRUE(fs::exists(dir_ / "out" / "small_sr.dcm"));
  EXPECT_TRUE(fs::exists(dir_ / "out" / "small_overlay.dcm"));
  EXPECT_TRUE(fs::exists(dir_ / "out" / "small_parameters.json"));
  const auto dump = runCli({"dump-sr", (dir_ / "out" / "small_sr.dcm").string()});
  ASSERT_EQ(dump.status, kExitOk) << dump.err;
  EXPECT_EQ(nlohmann::json::parse(dump.out)["landmarks"]["landmarks"].size(), 45U);

  expectBadInput(runCli({"info", truth}), "not a DICOM Part 10 file");
  expectBadInput(runCli({"dump-sr", dcm}), "");
  expectBadInput(runCli({"report", dcm, "--out", out}), "--landmarks is required");
  const auto wrongSize = write("wrong.json", R"({"image": {"columns": 10, "rows": 10}, "landmarks": []})");
  expectBadInput(runCli({"report", dcm, "--landmarks", wrongSize, "--out", out}), "the landmarks file is for a 10 x 10 image");
}

// sagitta corrections: the node's URL and credentials as they go on the wire, and a node that
// is not there (a free loopback port) is bad input with the reason, not an internal error.
TEST_F(CliTest, CorrectionsReadsTheNodeUrlAndSaysWhenTheNodeIsNotThere) {
  const auto url = parseHttpUrl("http://127.0.0.1:8042/orthanc/");
  EXPECT_EQ(url.host, "127.0.0.1");
  EXPECT_EQ(url.port, "8042");
  EXPECT_EQ(url.path, "/orthanc");
  EXPECT_EQ(parseHttpUrl("http://pacs").port, "80");
  EXPECT_EQ(parseHttpUrl("http://pacs").path, "");
  EXPECT_THROW(parseHttpUrl("https://pacs"), std::invalid_argument);
  EXPECT_THROW(parseHttpUrl("ftp://pacs"), std::invalid_argument);
  EXPECT_THROW(parseHttpUrl("http://user:pw@pacs"), std::invalid_argument);
  EXPECT_THROW(parseHttpUrl("http://pacs:80x"), std::invalid_argument);
  EXPECT_EQ(base64("reviewer:secret"), "cmV2aWV3ZXI6c2VjcmV0");
  EXPECT_EQ(base64("a"), "YQ==");
  EXPECT_EQ(base64("ab"), "YWI=");
  EXPECT_EQ(base64(""), "");

  const auto usage = runCli({"corrections", "--out", (dir_ / "x").string()});
  EXPECT_EQ(usage.status, kExitBadInput);
  EXPECT_EQ(usage.err.rfind("usage: sagitta corrections --from URL --out DIR", 0), 0U) << usage.err;
  expectBadInput(runCli({"corrections", "--from", "https://pacs", "--out", (dir_ / "x").string()}), "https is not supported");
  // Port 9 (discard) on loopback: nothing listens there on a test machine.
  expectBadInput(runCli({"corrections", "--from", "http://127.0.0.1:9", "--out", (dir_ / "x").string()}),
                 "GET http://127.0.0.1:9/sagitta/corrections: ");
}

}  // namespace
}  // namespace sagitta::cli
