// SPDX-License-Identifier: GPL-3.0-or-later
// The plugin's analysis service against a fake PACS (InstanceStore): the shipped model, the
// real queue and the real stages, no Orthanc. What the service stores, skips and fails.
#include <algorithm>
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

#include "sagitta/dicom/identity.hpp"
#include "sagitta/core/landmarks_json.hpp"
#include "sagitta/dicom/radiograph.hpp"
#include "sagitta/dicom/structured_report.hpp"
#include "sagitta/phantom/dicom_writer.hpp"
#include "sagitta/phantom/generator.hpp"
#include "sagitta/plugin/analysis_service.hpp"
#include "support/dicom_edit.hpp"
#include "support/scratch.hpp"

namespace sagitta::plugin {
namespace {

namespace fs = std::filesystem;

// The ids a PACS gives: here the four identifiers joined, which is all the service relies on
// (the same function names an object before and after it is stored).
std::string fakeId(const std::string& patient, const std::string& study, const std::string& series, const std::string& sop) {
  return patient + "|" + study + "|" + series + "|" + sop;
}

class FakeStore : public InstanceStore {
 public:
  std::map<std::string, std::string> files;  // instance -> DICOM bytes
  std::map<std::string, InstanceFacts> tags;
  std::string storeStatus = "Success";
  std::mutex mutex;
  std::vector<std::string> stored;  // bytes of every object the service stored
  std::vector<std::string> log;     // the change log: NewInstance of log[i] has sequence i + 1
  int failingChangeReads = 0;       // the next reads of the change log that fail as a REST error would

  void arrive(const std::string& instance) {
    std::lock_guard<std::mutex> lock(mutex);
    log.push_back(instance);
  }

  int transientFileFailures = 0;  // the next reads of a file that fail as a REST error would
  std::optional<ForeignFrame> foreign;  // what the PACS's own decoder gives; none: it cannot decode
  std::atomic<int> decodeCalls{0};

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
  // Like Orthanc: the object gets the id of its identifiers, and a stored one is in the change log.
  StoredInstance store(const std::string& bytes) override {
    const auto file = testing::readPart10(bytes);
    EXPECT_NE(file, nullptr);
    DcmDataset& d = *file->getDataset();
    OFString patient, study, series, sop;
    d.findAndGetOFString(DCM_PatientID, patient);
    d.findAndGetOFString(DCM_StudyInstanceUID, study);
    d.findAndGetOFString(DCM_SeriesInstanceUID, series);
    d.findAndGetOFString(DCM_SOPInstanceUID, sop);
    const auto id = fakeId(patient.c_str(), study.c_str(), series.c_str(), sop.c_str());
    std::lock_guard<std::mutex> lock(mutex);
    stored.push_back(bytes);
    if (storeStatus != "Success") return {"", storeStatus};
    log.push_back(id);
    return {id, storeStatus};
  }
  std::vector<std::string> seriesInstances(const std::string&) override { return {}; }
  ChangePage changes(std::int64_t since, int limit) override {
    std::lock_guard<std::mutex> lock(mutex);
    if (failingChangeReads > 0) {
      --failingChangeReads;
      throw std::runtime_error("GET /changes failed (fake)");
    }
    ChangePage page;
    page.last = since;
    for (auto i = static_cast<std::size_t>(since); i < log.size() && page.newInstances.size() < static_cast<std::size_t>(limit);
         ++i) {
      page.newInstances.push_back(log[i]);
      page.last = static_cast<std::int64_t>(i + 1);
    }
    page.done = static_cast<std::size_t>(page.last) >= log.size();
    return page;
  }
  std::int64_t lastChange() override {
    std::lock_guard<std::mutex> lock(mutex);
    return static_cast<std::int64_t>(log.size());
  }
  std::optional<ForeignFrame> decodeFrame(const std::string&, std::string& why) override {
    ++decodeCalls;
    if (foreign) return foreign;
    why = "no decoder in the fake PACS";
    return std::nullopt;
  }
  std::string startForward(const Destination&, const std::vector<std::string>&) override {
    throw std::runtime_error("no forwarding in this test");
  }
  ForwardProgress forwardProgress(const std::string&) override { return {}; }
  void cancelForward(const std::string&) override {}
  std::string instanceId(const std::string& patient, const std::string& study, const std::string& series,
                         const std::string& sop) override {
    return fakeId(patient, study, series, sop);
  }
};

constexpr const char* kCursor = "changes_cursor";

// Polls until done() holds or the time is up; returns done() at the end.
template <typename Condition>
bool waitUntil(Condition done, int seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (!done() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return done();
}

// The feed's first pull after a first start: the history so far is not analysed.
void waitForFirstPull(AnalysisService& service) {
  ASSERT_TRUE(waitUntil([&] { return service.queue().setting(kCursor).has_value(); }, 10));
}

std::string cursorOf(AnalysisService& service) { return service.queue().setting(kCursor).value_or(""); }

// The latest job of an instance once it is done under the service's own bundle.
std::optional<Job> doneUnderItsBundle(AnalysisService& service, const std::string& instance) {
  std::optional<Job> job;
  waitUntil(
      [&] {
        job = service.queue().latestForInstance(instance);
        return job && job->bundle == service.bundleSha256() && job->state == JobState::Done;
      },
      120);
  return job;
}

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
    waitForFirstPull(service);
    for (const auto& instance : instances) {
      store.arrive(instance);
      service.onNewInstance();
    }
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
  std::mutex logMutex;
  std::vector<std::string> logs;
  Logger log = [this](LogLevel, const std::string& line) {
    std::lock_guard<std::mutex> lock(logMutex);  // the service logs from its threads
    logs.push_back(line);
  };
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
  EXPECT_EQ(job->srInstance.rfind("SGT-PHANTOM-", 0), 0U) << job->srInstance;  // the PACS's ids of SR and SC
  EXPECT_NE(job->scInstance, job->srInstance);
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

// One attribute of an object the service stored (read back with DCMTK from a file in dir).
std::string storedAttribute(const std::string& bytes, const DcmTagKey& tag, const fs::path& dir) {
  const auto path = dir / "stored-object.dcm";
  std::ofstream(path, std::ios::binary) << bytes;
  DcmFileFormat file;
  OFString value;
  if (file.loadFile(path.string().c_str()).good()) file.getDataset()->findAndGetOFString(tag, value);
  return value.c_str();
}

// Outputs.PdfReport: the one-page report joins the SR and SC in the study and in every forward.
TEST(AnalysisService, APdfReportIsStoredAndForwardedWhenConfigured) {
  Harness h("service-pdf");
  h.config.writePdfReport = true;
  RoutingRule lateral;
  lateral.name = "laterals";
  lateral.forward = {"modality:PACS"};
  h.config.rules = {lateral};
  h.store.files["film"] = phantomBytes(0, h.dir);
  h.store.tags["film"] = kSpineLateral;
  const auto jobs = h.run({"film"});
  ASSERT_EQ(jobs.count("film"), 1U);
  const auto& job = jobs.at("film");
  ASSERT_EQ(job.state, JobState::Done) << job.reason;
  ASSERT_EQ(h.store.stored.size(), 3U);
  EXPECT_FALSE(job.pdfInstance.empty());
  EXPECT_NE(job.pdfInstance, job.scInstance);
  EXPECT_EQ(storedAttribute(h.store.stored[2], DCM_SOPClassUID, h.dir), dicom::kPdfSopClass);
  EXPECT_EQ(storedAttribute(h.store.stored[2], DCM_MIMETypeOfEncapsulatedDocument, h.dir), "application/pdf");
  JobQueue queue(h.config.database);
  const auto forwards = queue.forwardsOfJob(job.id);
  ASSERT_EQ(forwards.size(), 1U);
  EXPECT_EQ(forwards[0].resources, (std::vector<std::string>{job.srInstance, job.scInstance, job.pdfInstance}));
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

// The SR and SC the service stores come back through the change log, as in Orthanc: the feed
// knows them as ours and queues nothing for them.
TEST(AnalysisService, OurOwnOutputsAreNeverQueued) {
  Harness h("service-own");
  h.store.files["film"] = phantomBytes(4, h.dir);
  h.store.tags["film"] = kSpineLateral;
  AnalysisService service(h.config, h.store, h.log);
  service.start();
  waitForFirstPull(service);
  h.store.arrive("film");
  service.onNewInstance();
  // The feed has read the film, its SR and its SC.
  EXPECT_TRUE(waitUntil([&] { return cursorOf(service) == "3"; }, 120)) << cursorOf(service);
  service.stop();
  ASSERT_EQ(h.store.log.size(), 3U);
  EXPECT_EQ(service.queue().latestForInstance("film")->state, JobState::Done);
  EXPECT_EQ(service.queue().count(std::nullopt), 1);
  EXPECT_FALSE(service.queue().latestForInstance(h.store.log[1]).has_value());
  EXPECT_FALSE(service.queue().latestForInstance(h.store.log[2]).has_value());
}

// A film already analysed under an earlier bundle is not analysed again automatically when its
// change is read again under a new one (an upgrade, then a replay of the change log); it is
// when someone asks.
TEST(AnalysisService, ANewModelAnalysesAnOldFilmOnlyOnRequest) {
  Harness h("service-upgrade");
  h.store.files["film"] = phantomBytes(5, h.dir);
  h.store.tags["film"] = kSpineLateral;
  h.store.arrive("film");
  {
    JobQueue earlier(h.config.database);
    ASSERT_TRUE(earlier.enqueue("film", "sha-of-the-earlier-bundle"));
    earlier.finish(earlier.claim()->id, JobState::Done, "", {"{}", "old-sr", "old-sc", "", {}});
    earlier.setSetting(kCursor, "0");  // the change log is read again from its start
  }
  AnalysisService service(h.config, h.store, h.log);
  service.start();
  EXPECT_TRUE(waitUntil([&] { return cursorOf(service) == "1"; }, 10)) << cursorOf(service);
  EXPECT_EQ(service.queue().count(std::nullopt), 1);  // no second automatic job
  EXPECT_TRUE(h.store.stored.empty());
  ASSERT_TRUE(service.request("film", false));        // asked for: analysed by the new bundle
  EXPECT_FALSE(service.request("film", false));       // once
  const auto job = doneUnderItsBundle(service, "film");
  service.stop();
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->bundle, service.bundleSha256());
  EXPECT_EQ(job->state, JobState::Done) << job->reason;
  EXPECT_EQ(h.store.stored.size(), 2U);
}

// The change log cannot be read for a while (REST errors): nothing is lost, the film is queued
// once it can, without a restart.
TEST(AnalysisService, AFailedChangeLogReadIsRetriedNotLost) {
  Harness h("service-feed");
  h.store.files["film"] = phantomBytes(6, h.dir);
  h.store.tags["film"] = kSpineLateral;
  AnalysisService service(h.config, h.store, h.log);
  service.start();
  waitForFirstPull(service);
  {
    std::lock_guard<std::mutex> lock(h.store.mutex);
    h.store.failingChangeReads = 2;
  }
  h.store.arrive("film");
  service.onNewInstance();
  const auto job = doneUnderItsBundle(service, "film");
  service.stop();
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->state, JobState::Done) << job->reason;
  const auto failures = std::count_if(h.logs.begin(), h.logs.end(), [](const std::string& line) {
    return line.find("reading the change log failed") != std::string::npos;
  });
  EXPECT_EQ(failures, 1);  // logged once, not once a second
}

// The loop guard knows Sagitta's SR and SC by what they are, whoever stored them (another node,
// a restart); anything else goes to the rules, here one that analyses everything.
TEST(AnalysisService, SagittaOutputsAreKnownByWhatTheyAreNotByWhoStoredThem) {
  Harness h("service-identity");
  RoutingRule everything;
  everything.name = "everything";
  h.config.rules = {everything};
  h.store.tags["their-sr"] = {{"Modality", "SR"}, {"SOPClassUID", dicom::kSrSopClass}, {"Manufacturer", dicom::kManufacturer}};
  h.store.tags["their-sc"] = {{"Modality", "OT"}, {"SOPClassUID", dicom::kScSopClass}, {"Manufacturer", dicom::kManufacturer}};
  h.store.tags["their-pdf"] = {{"Modality", "DOC"}, {"SOPClassUID", dicom::kPdfSopClass}, {"Manufacturer", dicom::kManufacturer}};
  h.store.tags["vendor-sr"] = {{"Modality", "SR"}, {"SOPClassUID", dicom::kSrSopClass}, {"Manufacturer", "Another vendor"}};
  h.store.files["vendor-sr"] = std::string(300, '\0');
  const auto jobs = h.run({"their-sr", "their-sc", "their-pdf", "vendor-sr"});
  ASSERT_EQ(jobs.size(), 4U);
  for (const char* ours : {"their-sr", "their-sc", "their-pdf"}) {
    EXPECT_EQ(jobs.at(ours).state, JobState::Skipped) << ours;
    EXPECT_EQ(jobs.at(ours).reason, "a Sagitta output (never analysed)") << ours;
  }
  EXPECT_EQ(jobs.at("vendor-sr").state, JobState::Failed);  // routed, then not an image
  EXPECT_NE(jobs.at("vendor-sr").reason.find("cannot decode"), std::string::npos) << jobs.at("vendor-sr").reason;
}


// A film in a transfer syntax DCMTK cannot decompress here: the same phantom with its pixel data
// encapsulated as JPEG 2000 (a fragment nothing can read).
std::string undecodableJpeg2000(const std::string& film, const fs::path& dir) {
  const auto path = dir / "j2k.dcm";
  std::ofstream(path, std::ios::binary) << film;
  DcmFileFormat file;
  EXPECT_TRUE(file.loadFile(path.string().c_str()).good());
  testing::encapsulateAsUndecodableJpeg2000(*file.getDataset());
  EXPECT_TRUE(file.saveFile(path.string().c_str(), EXS_JPEG2000LosslessOnly).good());
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The decoder fallback: what DCMTK cannot decompress goes to the PACS's decoder (its frame, the
// header from the file); when that cannot either, the job fails with both reasons; a file that is
// broken (not a codec matter) never goes there.
TEST(AnalysisService, WhatDcmtkCannotDecompressGoesToThePacsDecoder) {
  Harness h("service-fallback");
  const auto film = phantomBytes(7, h.dir);
  h.store.files["j2k"] = undecodableJpeg2000(film, h.dir);
  h.store.tags["j2k"] = kSpineLateral;
  const auto original = dicom::readRadiograph(film.data(), film.size());
  {
    const auto file = testing::readPart10(film);
    ASSERT_NE(file, nullptr);
    const Uint16* values = nullptr;
    ASSERT_TRUE(file->getDataset()->findAndGetUint16Array(DCM_PixelData, values).good());
    ForeignFrame frame;
    frame.format = dicom::DecodedFrame::Format::Grey16;
    frame.width = original.info.columns;
    frame.height = original.info.rows;
    frame.pitch = 2U * static_cast<std::size_t>(frame.width);
    const auto* first = reinterpret_cast<const std::uint8_t*>(values);
    frame.pixels.assign(first, first + frame.pitch * static_cast<std::size_t>(frame.height));
    frame.decoder = "the fake PACS's decoder";
    h.store.foreign = frame;
  }
  const auto decoded = h.run({"j2k"});
  ASSERT_EQ(decoded.count("j2k"), 1U);
  EXPECT_EQ(decoded.at("j2k").state, JobState::Done) << decoded.at("j2k").reason;
  EXPECT_EQ(h.store.decodeCalls.load(), 1);
  EXPECT_TRUE(std::any_of(h.logs.begin(), h.logs.end(), [](const std::string& line) {
    return line.find("decoded by the fake PACS's decoder") != std::string::npos;
  }));

  Harness none("service-no-fallback");
  none.store.files["j2k"] = h.store.files["j2k"];
  none.store.tags["j2k"] = kSpineLateral;
  none.store.files["broken"] = film.substr(0, film.size() / 2);  // truncated: DCMTK's own verdict
  none.store.tags["broken"] = kSpineLateral;
  const auto failed = none.run({"j2k", "broken"});
  ASSERT_EQ(failed.size(), 2U);
  EXPECT_EQ(failed.at("j2k").state, JobState::Failed);
  EXPECT_NE(failed.at("j2k").reason.find("1.2.840.10008.1.2.4.90"), std::string::npos) << failed.at("j2k").reason;
  EXPECT_NE(failed.at("j2k").reason.find("no decoder in the fake PACS"), std::string::npos) << failed.at("j2k").reason;
  EXPECT_EQ(failed.at("broken").state, JobState::Failed);
  EXPECT_EQ(failed.at("broken").reason.find("Orthanc's decoder"), std::string::npos) << failed.at("broken").reason;
  EXPECT_EQ(none.store.decodeCalls.load(), 1);  // the JPEG 2000 only
}

// Instances stored while the plugin was down are read from the change log page by page (1000
// a page) and all queued at the start, and the cursor ends at the last change.
TEST(AnalysisService, ACatchUpReadsTheChangeLogPageByPage) {
  Harness h("service-catch-up");
  constexpr int kMissed = 1205;
  for (int i = 0; i < kMissed; ++i) {
    const auto id = "ct-" + std::to_string(i);
    h.store.tags[id] = {{"Modality", "CT"}};  // skipped by routing: quick to finish
    h.store.arrive(id);
  }
  JobQueue(h.config.database).setSetting(kCursor, "0");  // the plugin last read the log at its start
  AnalysisService service(h.config, h.store, h.log);
  service.start();
  EXPECT_TRUE(waitUntil([&] { return cursorOf(service) == std::to_string(kMissed); }, 30)) << cursorOf(service);
  EXPECT_TRUE(waitUntil([&] { return service.queue().count(JobState::Skipped) == kMissed; }, 120));
  service.stop();
  EXPECT_EQ(service.queue().count(std::nullopt), kMissed);
  EXPECT_TRUE(std::any_of(h.logs.begin(), h.logs.end(), [](const std::string& line) {
    return line.find("1205 instance(s) stored while the plugin was down queued") != std::string::npos;
  }));
}

// Stopping with films decoded and waiting in memory: they go back to queued with their attempt
// not counted, nothing is left running, and the next start analyses them.
TEST(AnalysisService, AStopReleasesWhatWaitsInMemoryAndTheNextStartFinishesIt) {
  Harness h("service-stop");
  h.config.workers = 1;
  h.config.memoryQueue = 1;
  std::vector<std::string> films;
  for (int i = 0; i < 4; ++i) {
    films.push_back("film-" + std::to_string(i));
    h.store.files[films.back()] = phantomBytes(10 + i, h.dir);
    h.store.tags[films.back()] = kSpineLateral;
  }
  {
    AnalysisService service(h.config, h.store, h.log);
    service.start();
    waitForFirstPull(service);
    for (const auto& film : films) h.store.arrive(film);
    service.onNewInstance();
    // Stopped while the first film is analysed and the next waits decoded in memory.
    EXPECT_TRUE(waitUntil([&] { return service.inMemory() >= 1; }, 60));
    service.stop();
    EXPECT_EQ(service.queue().count(JobState::Running), 0);
    EXPECT_GE(service.queue().count(JobState::Queued), 2);
    for (const auto& job : service.queue().list(JobState::Queued, 10, 0)) EXPECT_EQ(job.attempts, 0) << job.instance;
  }
  AnalysisService again(h.config, h.store, h.log);
  again.start();
  // Finished, whatever the model makes of each film (one of these four is refused by the
  // centre_rhythm check: its C7_C is 11 mm off): Done or Skipped, never left queued.
  EXPECT_TRUE(waitUntil(
      [&] { return again.queue().count(JobState::Done) + again.queue().count(JobState::Skipped) == 4; }, 240));
  again.stop();
  for (const auto& film : films) EXPECT_EQ(again.queue().latestForInstance(film)->attempts, 1) << film;
}

// Our SR (bytes the service stored) back as JSON.
nlohmann::json srJson(const std::string& bytes, const fs::path& dir) {
  const auto path = dir / "stored-sr.dcm";
  std::ofstream(path, std::ios::binary) << bytes;
  return nlohmann::json::parse(dicom::structuredReportToJson(path.string()));
}

// A reviewer moves a landmark: a new VERIFIED SR and SC beside the automatic ones, which stay;
// the history says what moved; a decision on a stale revision is a conflict; a reject records
// its reason; the film is never analysed again over the reviewer's result.
TEST(AnalysisService, AReviewReissuesAVerifiedSrAndKeepsTheAutomaticOne) {
  Harness h("service-review");
  for (auto& rule : h.config.rules) rule.forward = {"modality:DOWNSTREAM"};
  h.store.files["film"] = phantomBytes(20, h.dir);
  h.store.tags["film"] = kSpineLateral;
  const auto jobs = h.run({"film"});
  ASSERT_EQ(jobs.at("film").state, JobState::Done) << jobs.at("film").reason;
  ASSERT_EQ(h.store.stored.size(), 2U);
  const auto automatic = srJson(h.store.stored[0], h.dir);
  const auto job = jobs.at("film");

  AnalysisService service(h.config, h.store, h.log);  // not started: reviews need no workers
  auto landmarks = core::parseLandmarksJson(nlohmann::json::parse(job.result)["landmarks"].dump());
  const auto s1 = landmarks.landmarks.at(core::LandmarkId::S1_A);
  landmarks.landmarks.set(core::LandmarkId::S1_A, {s1.x + 25.0, s1.y - 30.0, std::nullopt});
  ReviewRequest correct;
  correct.action = ReviewAction::Correct;
  correct.reviewer = "Jane Re\\viewer\n";  // a backslash and a newline cannot be in a PN value
  correct.landmarks = landmarks;
  const auto review = service.review(job.id, correct);
  EXPECT_EQ(review.revision, 1);
  EXPECT_EQ(review.action, ReviewAction::Correct);
  const auto changes = nlohmann::json::parse(review.changes);
  ASSERT_EQ(changes.size(), 1U) << review.changes;
  EXPECT_EQ(changes[0]["id"], "S1_A");
  EXPECT_NEAR(changes[0]["to"][0].get<double>() - changes[0]["from"][0].get<double>(), 25.0, 0.02);
  ASSERT_EQ(h.store.stored.size(), 4U);  // the automatic SR and SC are still there
  EXPECT_NE(review.srInstance, job.srInstance);
  // The re-issued report goes where the routing rule sends this film's results, beside the
  // automatic one's forward.
  const auto forwards = service.queue().forwardsOfJob(job.id);
  ASSERT_EQ(forwards.size(), 2U);
  EXPECT_EQ(forwards[0].revision, 0);
  EXPECT_EQ(forwards[1].revision, 1);
  EXPECT_EQ(forwards[1].destination, "modality:DOWNSTREAM");
  EXPECT_EQ(forwards[1].state, ForwardState::Pending);
  EXPECT_EQ(forwards[1].resources, (std::vector<std::string>{review.srInstance, review.scInstance}));
  EXPECT_NE(review.scInstance, job.scInstance);

  const auto reviewed = srJson(h.store.stored[2], h.dir);
  ASSERT_TRUE(reviewed.contains("review")) << reviewed.dump();
  EXPECT_EQ(reviewed["review"]["verification"], "VERIFIED");
  EXPECT_EQ(reviewed["review"]["verifying_observer"], "Reviewer^Jane");  // DICOM PN: Family^Given
  const auto automaticUid = dicom::outputUids(automatic["source_sop_instance_uid"].get<std::string>(),
                                              service.bundleSha256(), "sr").instance;
  EXPECT_EQ(reviewed["review"]["predecessors"], nlohmann::json::array({automaticUid}));
  EXPECT_FALSE(automatic.contains("review"));
  // The corrected point is in the new SR, and SS (read from S1) changed with it.
  for (const auto& l : reviewed["landmarks"]["landmarks"]) {
    if (l["id"] == "S1_A") {
      EXPECT_NEAR(l["x"].get<double>(), s1.x + 25.0, 1e-2);
    }
  }
  EXPECT_NE(reviewed["parameters"]["parameters"]["SS"]["value"], automatic["parameters"]["parameters"]["SS"]["value"]);
  EXPECT_EQ(reviewed["parameters"]["parameters"]["CL"]["value"], automatic["parameters"]["parameters"]["CL"]["value"]);

  // Someone who still looks at revision 0 cannot overwrite revision 1.
  ReviewRequest stale;
  stale.action = ReviewAction::Approve;
  stale.reviewer = "Dr Late";
  EXPECT_THROW(service.review(job.id, stale), ReviewConflict);
  ReviewRequest reject;
  reject.action = ReviewAction::Reject;
  reject.basedOn = 1;
  reject.reviewer = "Dr Second";
  reject.reason = "S1 is not visible on this film";
  EXPECT_EQ(service.review(job.id, reject).revision, 2);
  EXPECT_EQ(h.store.stored.size(), 4U);  // a rejection writes no DICOM
  // Approving after the rejection re-issues revision 3 from the reviewed points, which replaces
  // the reviewed SR of revision 1.
  ReviewRequest approve;
  approve.action = ReviewAction::Approve;
  approve.basedOn = 2;
  approve.reviewer = "Dr Third";
  const auto third = service.review(job.id, approve);
  EXPECT_EQ(third.revision, 3);
  EXPECT_EQ(third.action, ReviewAction::Approve);
  EXPECT_EQ(third.changes, "[]");
  ASSERT_EQ(h.store.stored.size(), 6U);
  const auto reissued = srJson(h.store.stored[4], h.dir);
  EXPECT_EQ(reissued["review"]["predecessors"],
            nlohmann::json::array({dicom::outputUids(automatic["source_sop_instance_uid"].get<std::string>(),
                                                     service.bundleSha256(), "sr-review-1").instance}));

  // Points off the film are a bad request; the history is unchanged.
  landmarks.landmarks.set(core::LandmarkId::S1_A, {-5.0, 10.0, std::nullopt});
  correct.basedOn = 3;
  correct.landmarks = landmarks;
  EXPECT_THROW(service.review(job.id, correct), std::invalid_argument);
  EXPECT_EQ(service.queue().reviewsOfJob(job.id).size(), 3U);
  EXPECT_THROW(service.review(job.id + 100, approve), ReviewNotFound);
  // The reviewer's result stands: not queued again, even when forced.
  EXPECT_FALSE(service.request("film", true));
  EXPECT_EQ(service.queue().latestForInstance("film")->state, JobState::Done);
}

// A film the gate refused has no automatic SR; a reviewer places the points and the report
// is measured from them, with no predecessor to reference.
// With Outputs.PdfReport, a review re-issues the PDF report too (series 9906), and sends it
// with the reviewed SR and SC.
TEST(AnalysisService, AReviewReissuesThePdfReportWhenConfigured) {
  Harness h("service-review-pdf");
  h.config.writePdfReport = true;
  for (auto& rule : h.config.rules) rule.forward = {"modality:DOWNSTREAM"};
  h.store.files["film"] = phantomBytes(21, h.dir);
  h.store.tags["film"] = kSpineLateral;
  const auto jobs = h.run({"film"});
  const auto job = jobs.at("film");
  ASSERT_EQ(job.state, JobState::Done) << job.reason;
  ASSERT_EQ(h.store.stored.size(), 3U);
  AnalysisService service(h.config, h.store, h.log);
  ReviewRequest approve;
  approve.action = ReviewAction::Approve;
  approve.reviewer = "Jane Reviewer";
  const auto review = service.review(job.id, approve);
  ASSERT_EQ(h.store.stored.size(), 6U);
  EXPECT_FALSE(review.pdfInstance.empty());
  EXPECT_NE(review.pdfInstance, job.pdfInstance);
  EXPECT_EQ(storedAttribute(h.store.stored[5], DCM_SeriesNumber, h.dir), "9906");
  EXPECT_EQ(storedAttribute(h.store.stored[5], DCM_SOPClassUID, h.dir), dicom::kPdfSopClass);
  const auto forwards = service.queue().forwardsOfJob(job.id);
  ASSERT_EQ(forwards.size(), 2U);
  EXPECT_EQ(forwards[1].resources, (std::vector<std::string>{review.srInstance, review.scInstance, review.pdfInstance}));
  EXPECT_EQ(service.queue().reviewsOfJob(job.id).at(0).pdfInstance, review.pdfInstance);
}

TEST(AnalysisService, AFilmTheGateRefusedCanBeMeasuredByHand) {
  Harness h("service-review-refused");
  h.store.files["noise"] = noiseBytes(h.dir);
  h.store.tags["noise"] = kSpineLateral;
  const auto jobs = h.run({"noise"});
  ASSERT_EQ(jobs.at("noise").state, JobState::Skipped);
  AnalysisService service(h.config, h.store, h.log);
  core::LandmarkFile placed;
  placed.landmarks.set(core::LandmarkId::S1_A, {300.0, 1200.0, std::nullopt});
  placed.landmarks.set(core::LandmarkId::S1_P, {400.0, 1150.0, std::nullopt});
  ReviewRequest byHand;
  byHand.action = ReviewAction::Correct;
  byHand.reviewer = "Dr Hand";
  byHand.landmarks = placed;
  const auto review = service.review(jobs.at("noise").id, byHand);
  EXPECT_EQ(review.revision, 1);
  ASSERT_EQ(h.store.stored.size(), 2U);
  const auto sr = srJson(h.store.stored[0], h.dir);
  EXPECT_TRUE(sr["review"]["predecessors"].empty());
  EXPECT_EQ(sr["landmarks"]["landmarks"].size(), 2U);
  EXPECT_TRUE(sr["parameters"]["parameters"]["SS"]["value"].is_number()) << sr["parameters"].dump();
  EXPECT_TRUE(sr["parameters"]["parameters"]["PI"]["value"].is_null());  // no hip axis was placed
}

}  // namespace
}  // namespace sagitta::plugin
