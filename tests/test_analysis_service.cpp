// SPDX-License-Identifier: GPL-3.0-or-later
// The plugin's analysis service against a fake PACS (InstanceStore): the shipped model, the
// real queue and the real stages, no Orthanc. What the service stores, skips and fails.
#include <atomic>
#include <chrono>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <thread>

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "sagitta/dicom/radiograph.hpp"
#include "sagitta/phantom/dicom_writer.hpp"
#include "sagitta/phantom/generator.hpp"
#include "sagitta/plugin/analysis_service.hpp"
#include "support/scratch.hpp"

namespace sagitta::plugin {
namespace {

namespace fs = std::filesystem;

class FakeStore : public InstanceStore {
 public:
  std::map<std::string, std::string> files;  // instance -> DICOM bytes
  std::map<std::string, InstanceFacts> tags;
  std::string storeStatus = "Success";
  std::mutex mutex;
  std::vector<std::string> stored;  // bytes of every object the service stored

  int transientFileFailures = 0;  // the next reads of a file that fail as a REST error would

  bool exists(const std::string& instance) override { return files.count(instance) > 0; }
  std::optional<std::string> file(const std::string& instance, std::size_t maxBytes) override {
    if (transientFileFailures > 0) {
      --transientFileFailures;
      throw std::runtime_error("REST error 500 (fake)");
    }
    if (!files.count(instance)) throw InstanceGone("the instance is no longer stored");
    if (files[instance].size() > maxBytes) return std::nullopt;
    return files[instance];
  }
  InstanceFacts facts(const std::string& instance) override { return tags.at(instance); }
  bool createdByPlugin(const std::string&) override { return false; }
  StoredInstance store(const std::string& bytes) override {
    std::lock_guard<std::mutex> lock(mutex);
    stored.push_back(bytes);
    return {storeStatus == "Success" ? "stored-" + std::to_string(stored.size()) : "", storeStatus};
  }
  std::vector<std::string> seriesInstances(const std::string&) override { return {}; }
  ChangePage changes(std::int64_t, int) override { return {}; }
  std::int64_t lastChange() override { return 0; }
  std::optional<ForeignFrame> decodeFrame(const std::string&, std::string& why) override {
    why = "no decoder in the fake PACS";
    return std::nullopt;
  }
  std::string startForward(const Destination&, const std::vector<std::string>&) override {
    throw std::runtime_error("no forwarding in this test");
  }
  ForwardProgress forwardProgress(const std::string&) override { return {}; }
};

std::string phantomBytes(int index, const fs::path& dir) {
  phantom::GeneratorOptions options;
  options.rows = 1600;
  const auto path = dir / ("film" + std::to_string(index) + ".dcm");
  phantom::writeDicom(phantom::generateCase(626262, index, options), path.string());
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

const InstanceFacts kSpineLateral{{"Modality", "DX"}, {"BodyPartExamined", "SPINE"}, {"ViewPosition", "LL"}, {"Rows", "1600"}};

struct Harness {
  explicit Harness(const std::string& name, int maxAttempts = 1) : dir(testing::scratch(name)) {
    config.enable = true;
    config.modelBundle = SAGITTA_SHIPPED_BUNDLE;
    config.device = "cpu";
    config.database = (dir / "jobs.db").string();
    config.maxAttempts = maxAttempts;
    config.rules = defaultRules();
  }
  // Starts a service, hands it the instances, waits for each job to end, stops it.
  std::map<std::string, Job> run(const std::vector<std::string>& instances) {
    AnalysisService service(config, store, log);
    service.start();
    for (const auto& instance : instances) service.onNewInstance(instance);
    std::map<std::string, Job> jobs;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (jobs.size() < instances.size() && std::chrono::steady_clock::now() < deadline) {
      for (const auto& instance : instances) {
        const auto job = service.queue().latestForInstance(instance);
        if (job && (job->state == JobState::Done || job->state == JobState::Skipped || job->state == JobState::Failed)) {
          jobs[instance] = *job;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    service.stop();
    return jobs;
  }
  fs::path dir;
  PluginConfig config;
  FakeStore store;
  std::vector<std::string> logs;
  Logger log = [this](LogLevel, const std::string& line) { logs.push_back(line); };
};

TEST(AnalysisService, StoresTheSrAndScFromMemory) {
  Harness h("service-done");
  h.store.files["film"] = phantomBytes(0, h.dir);
  h.store.tags["film"] = kSpineLateral;
  const auto jobs = h.run({"film"});
  ASSERT_EQ(jobs.count("film"), 1U);
  const auto* job = &jobs.at("film");
  EXPECT_EQ(job->state, JobState::Done) << job->reason;
  ASSERT_EQ(h.store.stored.size(), 2U);
  EXPECT_EQ(job->srInstance, "stored-1");
  EXPECT_EQ(job->scInstance, "stored-2");
  // The result is kept compact in the queue database (one line), and is the analysis JSON.
  EXPECT_EQ(job->result.find('\n'), std::string::npos);
  EXPECT_TRUE(nlohmann::json::parse(job->result).at("accepted").get<bool>());
  const auto& sc = h.store.stored[1];
  EXPECT_EQ(dicom::readRadiograph(sc.data(), sc.size()).info.sopClassUid, "1.2.840.10008.5.1.4.1.1.7");
  // Nothing was written to the system's temporary folder for this job.
  for (const auto& entry : fs::directory_iterator(fs::temp_directory_path())) {
    EXPECT_NE(entry.path().filename().string().rfind("sagitta-job-", 0), 0U) << entry.path();
  }
}

TEST(AnalysisService, AResultOrthancDidNotStoreIsAFailureNotDone) {
  Harness h("service-filtered");
  h.store.files["film"] = phantomBytes(1, h.dir);
  h.store.tags["film"] = kSpineLateral;
  h.store.storeStatus = "FilteredOut";
  const auto jobs = h.run({"film"});
  ASSERT_EQ(jobs.count("film"), 1U);
  const auto* job = &jobs.at("film");
  EXPECT_EQ(job->state, JobState::Failed);
  EXPECT_NE(job->reason.find("Status FilteredOut"), std::string::npos) << job->reason;
  EXPECT_TRUE(job->srInstance.empty());
}

// A phantom DX whose pixels are replaced by noise: tags of a spine lateral, nothing to read.
std::string noiseBytes(const fs::path& dir) {
  const auto path = dir / "noise.dcm";
  {
    const std::string film = phantomBytes(2, dir);
    std::ofstream(path, std::ios::binary) << film;
  }
  DcmFileFormat file;
  EXPECT_TRUE(file.loadFile(path.string().c_str()).good());
  DcmDataset& d = *file.getDataset();
  Uint16 rows = 0, columns = 0;
  d.findAndGetUint16(DCM_Rows, rows);
  d.findAndGetUint16(DCM_Columns, columns);
  cv::Mat noise(rows, columns, CV_16U);
  cv::randu(noise, 0, 4096);
  d.putAndInsertUint16Array(DCM_PixelData, noise.ptr<Uint16>(), static_cast<unsigned long>(noise.total()));
  for (const auto& tag : {DCM_WindowCenter, DCM_WindowWidth, DCM_VOILUTFunction}) delete d.remove(tag);
  EXPECT_TRUE(file.saveFile(path.string().c_str(), EXS_LittleEndianExplicit).good());
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(AnalysisService, AFilmTheModelCannotReadIsNotMeasuredAndNothingIsStored) {
  Harness h("service-noise");
  h.store.files["noise"] = noiseBytes(h.dir);
  h.store.tags["noise"] = kSpineLateral;
  const auto jobs = h.run({"noise"});
  ASSERT_EQ(jobs.count("noise"), 1U);
  const auto* job = &jobs.at("noise");
  EXPECT_EQ(job->state, JobState::Skipped);
  EXPECT_EQ(job->reason.rfind("not measured: ", 0), 0U) << job->reason;
  EXPECT_TRUE(h.store.stored.empty());
  EXPECT_TRUE(job->srInstance.empty() && job->scInstance.empty());
}

// Error classes of the fetch: a failed REST call is retried, a deleted instance or an oversized
// file is not (their reason says which).
TEST(AnalysisService, ATransientFetchErrorIsRetriedAGoneInstanceIsNot) {
  Harness h("service-fetch", 3);
  h.store.files["film"] = phantomBytes(3, h.dir);
  h.store.tags["film"] = kSpineLateral;
  h.store.tags["gone"] = kSpineLateral;  // its tags were read, then it was deleted
  h.store.transientFileFailures = 1;
  const auto jobs = h.run({"film"});
  ASSERT_EQ(jobs.count("film"), 1U);
  EXPECT_EQ(jobs.at("film").state, JobState::Done) << jobs.at("film").reason;
  EXPECT_EQ(jobs.at("film").attempts, 2);
  const auto gone = h.run({"gone"});
  ASSERT_EQ(gone.count("gone"), 1U);
  EXPECT_EQ(gone.at("gone").state, JobState::Failed);
  EXPECT_EQ(gone.at("gone").attempts, 1);
  EXPECT_NE(gone.at("gone").reason.find("no longer stored"), std::string::npos) << gone.at("gone").reason;

  Harness small("service-large", 3);
  small.config.maxFileBytes = 1U << 20U;
  small.store.files["film"] = h.store.files["film"];  // a 1600-row film is larger than 1 MB
  small.store.tags["film"] = kSpineLateral;
  const auto large = small.run({"film"});
  ASSERT_EQ(large.count("film"), 1U);
  EXPECT_EQ(large.at("film").state, JobState::Failed);
  EXPECT_NE(large.at("film").reason.find("larger than Limits.MaxFileMegabytes"), std::string::npos);
}

TEST(AnalysisService, RoutingAndUndecodableFilesEndWithTheirReason) {
  Harness h("service-skips");
  h.store.files["ct"] = "not used";
  h.store.tags["ct"] = {{"Modality", "CT"}};
  h.store.files["broken"] = std::string(300, '\0');
  h.store.tags["broken"] = kSpineLateral;
  const auto jobs = h.run({"ct", "broken"});
  ASSERT_EQ(jobs.size(), 2U);
  const auto* ct = &jobs.at("ct");
  const auto* broken = &jobs.at("broken");
  EXPECT_EQ(ct->state, JobState::Skipped);
  EXPECT_NE(ct->reason.find("no routing rule"), std::string::npos) << ct->reason;
  EXPECT_EQ(broken->state, JobState::Failed);
  EXPECT_NE(broken->reason.find("cannot decode"), std::string::npos) << broken->reason;
  EXPECT_TRUE(h.store.stored.empty());
}

}  // namespace
}  // namespace sagitta::plugin
