// SPDX-License-Identifier: GPL-3.0-or-later
// AnalysisService's review side: a person's decision on a job's result becomes a new, VERIFIED
// SR and overlay SC next to the automatic ones (which stay: they are the audit trail), and a
// row of the job's review history with each landmark's old and new position.
#include <chrono>
#include <ctime>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "sagitta/core/landmark_catalogue.hpp"
#include "sagitta/core/measurement.hpp"
#include "sagitta/core/measurement_json.hpp"
#include "sagitta/dicom/identity.hpp"
#include "sagitta/dicom/overlay.hpp"
#include "sagitta/dicom/pdf_report.hpp"
#include "sagitta/plugin/analysis_service.hpp"

namespace sagitta::plugin {
namespace {

using Json = nlohmann::json;

// The decision's time as DICOM DT in the node's local time, like the creation time DCMTK writes
// (DCMTK's DT check refuses a UTC offset in the Verification DateTime).
std::string reviewDateTime() {
  const std::time_t t = std::time(nullptr);
  std::tm local{};
  localtime_r(&t, &local);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%d%H%M%S", &local);
  return text;
}

core::LandmarkFile landmarksOf(const std::string& json) { return core::parseLandmarksJson(json); }

// Landmarks outside the film cannot be where a reviewer put them.
void checkFits(const core::LandmarkSet& landmarks, const dicom::RadiographInfo& film) {
  for (const auto& info : core::landmarkCatalogue()) {
    const auto& l = landmarks.get(info.id);
    if (!l) continue;
    if (!(l->x >= 0.0 && l->y >= 0.0 && l->x <= film.columns && l->y <= film.rows)) {
      throw std::invalid_argument("landmark " + std::string(info.key) + " lies outside the film (" +
                                  std::to_string(film.columns) + " x " + std::to_string(film.rows) + ")");
    }
  }
}

}  // namespace

Review AnalysisService::review(std::int64_t jobId, const ReviewRequest& request) {
  const std::lock_guard<std::mutex> lock(reviewMutex_);
  const auto job = queue_->job(jobId);
  if (!job) throw ReviewNotFound("no job " + std::to_string(jobId));
  if (job->result.empty() || (job->state != JobState::Done && job->state != JobState::Skipped)) {
    throw ReviewNotFound("job " + std::to_string(jobId) + " has no result to review (" + jobStateKey(job->state) + ")");
  }
  if (const auto latest = queue_->latestForInstance(job->instance); latest && latest->id != job->id) {
    throw ReviewConflict("job " + std::to_string(jobId) + " is superseded by job " + std::to_string(latest->id) +
                         " (a newer analysis of this film): review that one");
  }
  const auto history = queue_->reviewsOfJob(jobId);
  const int current = history.empty() ? 0 : history.back().revision;
  if (request.basedOn != current) {
    throw ReviewConflict("job " + std::to_string(jobId) + " is at revision " + std::to_string(current) +
                         (history.empty() ? "" : " (" + reviewActionKey(history.back().action) + ")") +
                         ", not " + std::to_string(request.basedOn) + ": reload it and decide again");
  }
  const auto result = Json::parse(job->result);
  // The points the reviewer saw: the last re-issued set, else the model's.
  const Review* reissued = lastReissued(history);
  const auto before = landmarksOf(reissued ? reissued->landmarks : result.at("landmarks").dump());

  Review record;
  record.job = jobId;
  record.action = request.action;
  record.reviewer = request.reviewer;
  record.authenticated = request.authenticated;
  record.reason = request.reason;
  record.changes = "[]";
  record.created = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (request.action == ReviewAction::Reject) {
    record.revision = queue_->addReview(record, current);
    if (record.revision == 0) throw ReviewConflict("another review of job " + std::to_string(jobId) + " came first");
    log_(LogLevel::Info, "Sagitta: job " + std::to_string(jobId) + " rejected by its reviewer (revision " +
                             std::to_string(record.revision) + ")");
    return record;
  }
  dicom::personName(request.reviewer);  // an empty name throws std::invalid_argument (a 400)

  const auto film = fetchFilm(*job);
  core::LandmarkFile after = request.action == ReviewAction::Correct ? *request.landmarks : before;
  checkFits(after.landmarks, film.info);
  after.image.columns = film.info.columns;
  after.image.rows = film.info.rows;
  after.image.calibration = film.info.calibration;  // the film's own: a reviewer moves points, not the scale
  record.changes = landmarkChanges(before.landmarks, after.landmarks);
  // A point the reviewer placed or moved has no model spread; one left where it was keeps its own.
  const auto changes = Json::parse(record.changes);
  for (const auto& change : changes) {
    if (change.at("to").is_null()) continue;
    const auto id = *core::landmarkFromKey(change.at("id").get<std::string>());
    after.landmarks.set(id, {after.landmarks.at(id).x, after.landmarks.at(id).y, std::nullopt});
  }
  const bool corrected = !changes.empty();
  record.action = corrected ? ReviewAction::Correct : ReviewAction::Approve;

  dicom::ReportInput report;
  report.source = film.info;
  report.landmarks = after;
  report.measurement = core::measure(after.landmarks, film.info.calibration);
  const auto& model = result.at("model");
  report.model = {model.value("name", ""), model.value("version", ""), model.value("sha256", job->bundle)};
  dicom::ReviewSignOff signOff;
  signOff.revision = current + 1;
  signOff.corrected = corrected;
  signOff.reviewer = dicom::personName(request.reviewer);
  signOff.authenticated = request.authenticated;
  signOff.dateTime = reviewDateTime();
  // The SR this one replaces: the last re-issued one, else the automatic one (when it was written).
  std::optional<int> predecessor;
  for (auto r = history.rbegin(); r != history.rend() && !predecessor; ++r) {
    if (!r->srInstance.empty()) predecessor = r->revision;
  }
  if (!predecessor && !job->srInstance.empty()) predecessor = 0;
  if (predecessor) {
    const auto uids = dicom::revisionUids(film.info.sopInstanceUid, report.model.sha256, "sr", *predecessor);
    signOff.predecessors.push_back({film.info.study.studyInstanceUid, uids.series, dicom::kSrSopClass, uids.instance});
  }
  report.review = signOff;

  const std::string srBytes = config_.writeStructuredReport ? dicom::structuredReportBytes(report) : "";
  const std::string scBytes = config_.writeSecondaryCapture ? dicom::overlayBytes(report, film.display) : "";
  if (config_.writeStructuredReport) record.srInstance = storeOwn(srBytes, report, "sr", "reviewed SR");
  if (config_.writeSecondaryCapture) record.scInstance = storeOwn(scBytes, report, "sc", "reviewed SC");
  if (config_.writePdfReport) {
    record.pdfInstance = storeOwn(dicom::pdfReportBytes(report, film.display), report, "pdf", "reviewed PDF report");
  }
  record.landmarks = core::landmarksToJson(after, -1);
  record.parameters = core::measurementToJson(report.measurement, -1);
  // The re-issued report goes where the routing rules send this film's results today.
  const auto destinations = router_.decide(store_.facts(job->instance)).forward;
  record.revision = queue_->addReview(record, current, destinations);
  if (record.revision == 0) throw ReviewConflict("another review of job " + std::to_string(jobId) + " came first");
  if (!destinations.empty()) notify();
  log_(LogLevel::Info, "Sagitta: job " + std::to_string(jobId) + " " + reviewActionKey(record.action) +
                           " by its reviewer (revision " + std::to_string(record.revision) + ", " +
                           std::to_string(changes.size()) + " landmark(s) changed)");
  return record;
}

dicom::Radiograph AnalysisService::fetchFilm(const Job& job) {
  const auto bytes = store_.file(job.instance, config_.maxFileBytes);
  if (!bytes) throw std::runtime_error("the film is larger than Limits.MaxFileMegabytes");
  return decode(job, *bytes);
}

std::string AnalysisService::filmPng(std::int64_t jobId) {
  const auto job = queue_->job(jobId);
  if (!job) throw ReviewNotFound("no job " + std::to_string(jobId));
  const auto film = fetchFilm(*job);
  std::vector<unsigned char> png;
  // Level 1: a 3000 x 7000 film encodes in a fraction of the time level 3 takes, for 10 % more bytes.
  if (!cv::imencode(".png", film.display, png, {cv::IMWRITE_PNG_COMPRESSION, 1})) {
    throw std::runtime_error("cannot encode the film as PNG");
  }
  return std::string(png.begin(), png.end());
}

}  // namespace sagitta::plugin
