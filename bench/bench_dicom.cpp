// SPDX-License-Identifier: GPL-3.0-or-later
// DICOM in and out on a 3000 x 7200 16-bit DX: decode + window; SR + overlay SC writing.
#include <sys/resource.h>

#include <filesystem>
#include <fstream>

#include <benchmark/benchmark.h>
#include <opencv2/imgproc.hpp>

#include "sagitta/core/measurement.hpp"
#include "sagitta/dicom/overlay.hpp"
#include "sagitta/dicom/pdf_report.hpp"
#include "sagitta/dicom/radiograph.hpp"
#include "sagitta/dicom/structured_report.hpp"
#include "sagitta/phantom/dicom_writer.hpp"
#include "sagitta/phantom/generator.hpp"

namespace {

using namespace sagitta;
namespace fs = std::filesystem;

struct Fixture {
  fs::path dir = fs::temp_directory_path() / "sagitta-bench-dicom";
  std::string source;
  std::string bytes;
  dicom::ReportInput input;
  cv::Mat display;

  Fixture() {
    fs::create_directories(dir);
    phantom::GeneratorOptions options;
    options.rows = 7200;  // rendered at 7200 rows, then set to exactly 3000 columns
    auto c = phantom::generateCase(2026, 0, options);
    const double sx = 3000.0 / c.pixels.cols;
    cv::resize(c.pixels, c.pixels, cv::Size(3000, 7200), 0, 0, cv::INTER_LINEAR);
    for (const auto& info : core::landmarkCatalogue()) {
      auto l = c.truth.landmarks.at(info.id);
      l.x *= sx;
      c.truth.landmarks.set(info.id, l);
    }
    source = (dir / "source.dcm").string();
    phantom::writeDicom(c, source);
    bytes.resize(fs::file_size(source));
    std::ifstream(source, std::ios::binary).read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    const auto r = dicom::readRadiograph(source);
    display = r.display;
    input.source = r.info;
    input.landmarks = c.truth;
    input.measurement = core::measure(c.truth.landmarks, r.info.calibration);
    input.model = {"bench", "sagitta bench", std::string(64, 'c')};
  }
  ~Fixture() { fs::remove_all(dir); }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

long peakRssKb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

void BM_DecodeAndWindow(benchmark::State& state) {
  auto& f = fixture();
  const long before = peakRssKb();
  for (auto _ : state) {
    auto r = dicom::readRadiograph(f.source);
    benchmark::DoNotOptimize(r.display.data);
  }
  // Peak memory growth during decoding, in units of one 16-bit full-size image (43.2 MB).
  state.counters["peak_growth_images"] = static_cast<double>(peakRssKb() - before) * 1024.0 / (3000.0 * 7200.0 * 2.0);
}
BENCHMARK(BM_DecodeAndWindow)->Unit(benchmark::kMillisecond)->Iterations(10);

void BM_DecodeFromMemory(benchmark::State& state) {
  auto& f = fixture();
  for (auto _ : state) {
    auto r = dicom::readRadiograph(f.bytes.data(), f.bytes.size());
    benchmark::DoNotOptimize(r.display.data);
  }
}
BENCHMARK(BM_DecodeFromMemory)->Unit(benchmark::kMillisecond)->Iterations(10);

void BM_WriteSrAndSc(benchmark::State& state) {
  auto& f = fixture();
  const auto sr = (f.dir / "sr.dcm").string(), sc = (f.dir / "sc.dcm").string();
  for (auto _ : state) {
    dicom::writeStructuredReport(f.input, sr);
    dicom::writeOverlay(f.input, f.display, sc);
  }
}
BENCHMARK(BM_WriteSrAndSc)->Unit(benchmark::kMillisecond)->Iterations(10);

// The one-page PDF report (Outputs.PdfReport): the annotated film drawn, JPEG-encoded and laid
// out with cairo, then wrapped as an Encapsulated PDF, in memory (the plugin's path).
void BM_WritePdfReport(benchmark::State& state) {
  auto& f = fixture();
  std::size_t bytes = 0;
  for (auto _ : state) {
    const auto pdf = dicom::pdfReportBytes(f.input, f.display);
    bytes = pdf.size();
    benchmark::DoNotOptimize(pdf.data());
  }
  state.counters["object_kb"] = static_cast<double>(bytes) / 1024.0;
}
BENCHMARK(BM_WritePdfReport)->Unit(benchmark::kMillisecond)->Iterations(10);

void BM_WriteSr(benchmark::State& state) {
  auto& f = fixture();
  const auto sr = (f.dir / "sr.dcm").string();
  for (auto _ : state) dicom::writeStructuredReport(f.input, sr);
}
BENCHMARK(BM_WriteSr)->Unit(benchmark::kMillisecond)->Iterations(10);

}  // namespace
