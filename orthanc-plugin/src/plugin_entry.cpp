// SPDX-License-Identifier: GPL-3.0-or-later
// libOrthancSagitta: the C entry points. Everything here translates between Orthanc and the
// analysis service; every exception is caught before it reaches Orthanc.
#include <orthanc/OrthancCPlugin.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "explorer_js.hpp"
#include "orthanc_store.hpp"
#include "review_pages.hpp"
#include "sagitta/core/landmark_catalogue.hpp"
#include "sagitta/core/landmarks_json.hpp"
#include "sagitta/core/parameter_catalogue.hpp"
#include "sagitta/plugin/analysis_service.hpp"
#include "sagitta/plugin/measure_request.hpp"
#include "sagitta/plugin/plugin_config.hpp"
#include "sagitta/plugin/review.hpp"
#include "sagitta/plugin/viewer_site.hpp"
#include "sagitta/version.hpp"

namespace {

using Json = nlohmann::ordered_json;
using sagitta::plugin::AnalysisService;
using sagitta::plugin::Job;
using sagitta::plugin::JobState;
using sagitta::plugin::LogLevel;
using sagitta::plugin::Review;

OrthancPluginContext* context = nullptr;
std::unique_ptr<sagitta::plugin::OrthancStore> store;
std::unique_ptr<AnalysisService> service;
std::string disabledReason = "not configured";
std::unique_ptr<sagitta::plugin::ViewerSite> viewer;  // OHIF at /ohif/, when installed
std::string viewerConfig;                              // its app-config.js
std::string viewerMissing = "Sagitta.Ohif.Folder is not set";

void logLine(LogLevel level, const std::string& message) {
  if (context == nullptr) return;
  switch (level) {
    case LogLevel::Info: OrthancPluginLogInfo(context, message.c_str()); break;
    case LogLevel::Warning: OrthancPluginLogWarning(context, message.c_str()); break;
    case LogLevel::Error: OrthancPluginLogError(context, message.c_str()); break;
  }
}

void answerJson(OrthancPluginRestOutput* output, const Json& json, uint16_t status = 200) {
  const auto body = json.dump(2);
  if (status == 200) {
    OrthancPluginAnswerBuffer(context, output, body.c_str(), static_cast<uint32_t>(body.size()), "application/json");
  } else {
    OrthancPluginSendHttpStatus(context, output, status, body.c_str(), static_cast<uint32_t>(body.size()));
  }
}

void answerError(OrthancPluginRestOutput* output, uint16_t status, const std::string& message) {
  answerJson(output, Json{{"error", message}}, status);
}

// Orthanc ids: five groups of 8 lower-case hex digits joined by '-'.
bool isOrthancId(const std::string& id) {
  if (id.size() != 44) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    if (i % 9 == 8 ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string getArgument(const OrthancPluginHttpRequest* request, const std::string& key) {
  for (uint32_t i = 0; i < request->getCount; ++i) {
    if (key == request->getKeys[i]) return request->getValues[i];
  }
  return "";
}

// A paging argument: absent gives fallback, more than max gives max, anything but digits a 400.
int numberArgument(const OrthancPluginHttpRequest* request, const char* key, int fallback, int max) {
  const auto text = getArgument(request, key);
  if (text.empty()) return fallback;
  if (text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) {
    throw std::invalid_argument(std::string(key) + " must be a non-negative integer");
  }
  return std::min(std::stoi(text), max);
}

Json parsedOrNull(const std::string& text) {
  try {
    return Json::parse(text);
  } catch (const Json::exception&) {
    return nullptr;
  }
}

Json forwardsJson(std::int64_t job) {
  Json list = Json::array();
  for (const auto& f : service->queue().forwardsOfJob(job)) {
    list.push_back(Json{{"destination", f.destination}, {"revision", f.revision},
                        {"state", sagitta::plugin::forwardStateKey(f.state)},
                        {"attempts", f.attempts}, {"reason", f.reason}, {"next_attempt", f.nextAttempt},
                        {"updated", f.updated}, {"resources", f.resources}, {"orthanc_job", f.orthancJob}});
  }
  return list;
}

Json jobJson(const Job& job) {
  Json j{{"id", job.id}, {"instance", job.instance}, {"bundle", job.bundle}, {"state", sagitta::plugin::jobStateKey(job.state)},
         {"reason", job.reason}, {"attempts", job.attempts}, {"created", job.created}, {"updated", job.updated},
         {"sr_instance", job.srInstance}, {"sc_instance", job.scInstance}, {"pdf_instance", job.pdfInstance},
         {"forwards", forwardsJson(job.id)}};
  if (!job.timings.empty()) j["timings"] = parsedOrNull(job.timings);
  if (!job.result.empty()) j["result"] = parsedOrNull(job.result);
  return j;
}

Json reviewJson(const Review& r) {
  return Json{{"revision", r.revision},
              {"action", sagitta::plugin::reviewActionKey(r.action)},
              {"reviewer", r.reviewer},
              {"authenticated", r.authenticated},
              {"reason", r.reason},
              {"at", r.created},
              {"changes", parsedOrNull(r.changes)},
              {"sr_instance", r.srInstance},
              {"sc_instance", r.scInstance},
              {"pdf_instance", r.pdfInstance}};
}

Json reviewsJson(std::int64_t job) {
  Json list = Json::array();
  for (const auto& r : service->queue().reviewsOfJob(job)) list.push_back(reviewJson(r));
  return list;
}

// Wraps a REST handler: method check, service availability, exceptions to 4xx / 500.
template <typename Handler>
OrthancPluginErrorCode handle(OrthancPluginRestOutput* output, const OrthancPluginHttpRequest* request,
                              OrthancPluginHttpMethod method, const char* allowed, Handler&& handler) {
  try {
    if (request->method != method) {
      OrthancPluginSendMethodNotAllowed(context, output, allowed);
      return OrthancPluginErrorCode_Success;
    }
    if (!service) {
      answerError(output, 503, "Sagitta is disabled: " + disabledReason);
      return OrthancPluginErrorCode_Success;
    }
    handler();
  } catch (const std::invalid_argument& e) {
    answerError(output, 400, e.what());
  } catch (const std::exception& e) {
    logLine(LogLevel::Error, std::string("Sagitta REST: ") + e.what());
    answerError(output, 500, "internal error (see Orthanc's log)");
  }
  return OrthancPluginErrorCode_Success;
}

OrthancPluginErrorCode health(OrthancPluginRestOutput* output, const char*, const OrthancPluginHttpRequest* request) {
  if (!service && request->method == OrthancPluginHttpMethod_Get) {
    answerJson(output, Json{{"enabled", false}, {"reason", disabledReason}, {"version", sagitta::kVersion}});
    return OrthancPluginErrorCode_Success;
  }
  return handle(output, request, OrthancPluginHttpMethod_Get, "GET", [&] {
    auto& q = service->queue();
    const auto& m = service->engine().manifest();
    const auto& config = service->config();
    const auto database = service->databaseHealth();
    Json body{{"enabled", true},
              {"version", sagitta::kVersion},
              {"node", config.node},
              {"model", {{"name", m.name}, {"version", m.version}, {"sha256", service->bundleSha256()},
                         {"members", m.members.size()}, {"refiner", m.refiner ? Json(m.refiner->name) : Json()}}},
              {"device", service->engine().deviceName()},
              {"workers", config.workers},
              {"in_memory", service->inMemory()},
              {"analyses_since_start", service->analysesSinceStart()},
              {"pruned_for_room", q.prunedForRoom()}};
    Json queueDatabase{{"engine", config.sharedQueue ? "postgresql" : "sqlite"},
                       {"where", q.describe()},
                       {"lease_seconds", config.leaseSeconds},
                       {"last_contact", database.lastContact}};
    try {
      // The shared queue's depth (every node's jobs), and the nodes that share it.
      body["queue"] = q.countByState();
      body["forwards"] = q.countForwardsByState();
      body["change_log_read_to"] = service->changeLogReadTo();
      const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
      Json nodes = Json::array();
      for (const auto& n : q.nodes()) {
        nodes.push_back(Json{{"name", n.name}, {"model", n.version}, {"workers", n.workers}, {"running", n.running},
                             {"heartbeat_age_s", now - n.heartbeat},
                             {"alive", now - n.heartbeat <= 2.0 * config.leaseSeconds}});
      }
      body["nodes"] = nodes;
      queueDatabase["reachable"] = true;
      queueDatabase["schema_version"] = q.schemaVersion();
    } catch (const sagitta::plugin::QueueError& e) {
      // Orthanc goes on storing; the feed catches up from the change log once it is back.
      queueDatabase["reachable"] = false;
      queueDatabase["error"] = e.what();
    }
    body["queue_database"] = queueDatabase;
    answerJson(output, body, queueDatabase["reachable"].get<bool>() ? 200 : 503);
  });
}

OrthancPluginErrorCode metrics(OrthancPluginRestOutput* output, const char*, const OrthancPluginHttpRequest* request) {
  return handle(output, request, OrthancPluginHttpMethod_Get, "GET", [&] {
    const auto text = service->metricsText();
    OrthancPluginAnswerBuffer(context, output, text.c_str(), static_cast<uint32_t>(text.size()),
                              "text/plain; version=0.0.4; charset=utf-8");
  });
}

OrthancPluginErrorCode jobs(OrthancPluginRestOutput* output, const char*, const OrthancPluginHttpRequest* request) {
  return handle(output, request, OrthancPluginHttpMethod_Get, "GET", [&] {
    const auto stateText = getArgument(request, "state");
    std::optional<JobState> state;
    if (!stateText.empty()) {
      state = sagitta::plugin::jobStateFromKey(stateText);
      if (!state) throw std::invalid_argument("state must be queued, running, done, skipped or failed");
    }
    const int limit = numberArgument(request, "limit", 100, 1000), offset = numberArgument(request, "offset", 0, 1000000000);
    Json list = Json::array();
    for (const auto& job : service->queue().list(state, limit, offset)) {
      auto j = jobJson(job);
      j.erase("result");
      list.push_back(j);
    }
    answerJson(output, Json{{"total", service->queue().count(state)}, {"offset", offset}, {"limit", limit}, {"jobs", list}});
  });
}

std::int64_t jobIdFrom(const std::string& text) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) {
    throw std::invalid_argument("a job id is a positive integer");
  }
  return std::stoll(text);
}

OrthancPluginErrorCode oneJob(OrthancPluginRestOutput* output, const char*, const OrthancPluginHttpRequest* request) {
  return handle(output, request, OrthancPluginHttpMethod_Get, "GET", [&] {
    const auto id = jobIdFrom(request->groups[0]);
    const auto job = service->queue().job(id);
    if (!job) return answerError(output, 404, "no job " + std::to_string(id));
    auto j = jobJson(*job);
    j["reviews"] = reviewsJson(job->id);
    answerJson(output, j);
  });
}

OrthancPluginErrorCode results(OrthancPluginRestOutput* output, const char*, const OrthancPluginHttpRequest* request) {
  return handle(output, request, OrthancPluginHttpMethod_Get, "GET", [&] {
    const std::string id = request->groups[0];
    if (!isOrthancId(id)) throw std::invalid_argument("not an Orthanc instance id");
    const auto job = service->queue().latestForInstance(id);
    if (!job) return answerError(output, 404, "instance " + id + " has no Sagitta job");
    answerJson(output, jobJson(*job));
  });
}

bool forceFrom(const OrthancPluginHttpRequest* request) {
  if (request->bodySize == 0) return false;
  Json body;
  try {
    body = Json::parse(std::string(static_cast<const char*>(request->body), request->bodySize));
  } catch (const Json::exception&) {
    throw std::invalid_argument("the body must be JSON, e.g. {\"force\": true}");
  }
  if (!body.is_object()) throw std::invalid_argument("the body must be a JSON object");
  for (const auto& item : body.items()) {
    if (item.key() != "force") throw std::invalid_argument("unknown key " + item.key().substr(0, 40));
  }
  if (body.contains("force") && !body.at("force").is_boolean()) throw std::invalid_argument("force must be true or false");
  return body.value("force", false);
}

OrthancPluginErrorCode analyseInstance(OrthancPluginRestOutput* output, const char*, const OrthancPluginHttpRequest* request) {
  return handle(output, request, OrthancPluginHttpMethod_Post, "POST", [&] {
    const std::string id = request->groups[0];
    if (!isOrthancId(id)) throw std::invalid_argument("not an Orthanc instance id");
    const bool force = forceFrom(request);
    if (!store->exists(id)) return answerError(output, 404, "no instance " + id);
    const bool queued = service->request(id, force);
    const char* note = queued ? "queued"
                       : service->queue().instanceReviewed(id)
                           ? "reviewed: the reviewer's result stands and the film is not analysed again"
                           : "already analysed or pending; pass {\"force\": true} to rerun";
    answerJson(output, Json{{"queued", queued ? 1 : 0}, {"instance", id}, {"note", note}});
  });
}

// POST /sagitta/measure: the parameters; POST /sagitta/measure/constructions: with the lines
// each one is drawn with (a path, not a query: Orthanc gives plugins GET arguments only for GET).
OrthancPluginErrorCode measureAnswer(OrthancPluginRestOutput* output, const OrthancPluginHttpRequest* request,
                                     bool withConstructions) {
  return handle(output, request, OrthancPluginHttpMethod_Post, "POST", [&] {
    const auto parameters = sagitta::plugin::measureLandmarksJson(
        std::string_view(static_cast<const char*>(request->body), request->bodySize), withConstructions);
    OrthancPluginAnswerBuffer(context, output, parameters.c_str(), static_cast<uint32_t>(parameters.size()),
                              "application/json");
  });
}

OrthancPluginErrorCode measure(OrthancPluginRestOutput* output, const char*, const OrthancPluginHttpRequest* request) {
  return measureAnswer(output, request, false);
}

OrthancPluginErrorCode measureConstructions(OrthancPluginRestOutput* output, const char*,
                                            const OrthancPluginHttpRequest* request) {
  return measureAnswer(output, request, true);
}

OrthancPluginErrorCode analyseSeries(OrthancPluginRestOutput* output, const char*, const OrthancPluginHttpRequest* request) {
  return handle(output, request, OrthancPluginHttpMethod_Post, "POST", [&] {
    const std::string id = request->groups[0];
    if (!isOrthancId(id)) throw std::invalid_argument("not an Orthanc series id");
    const bool force = forceFrom(request);
    try {
      answerJson(output, Json{{"queued", service->requestSeries(id, force)}, {"series", id}});
    } catch (const std::invalid_argument&) {
      answerError(output, 404, "no series " + id);
    }
  });
}

std::string header(const OrthancPluginHttpRequest* request, const std::string& key) {
  for (uint32_t i = 0; i < request->headersCount; ++i) {
    if (key == request->headersKeys[i]) return request->headersValues[i];  // Orthanc gives keys in lower case
  }
  return "";
}

// GET /sagitta/review/worklist?needs_review=true&limit=50&offset=0
OrthancPluginErrorCode worklist(OrthancPluginRestOutput* output, const char*, const OrthancPluginHttpRequest* request) {
  return handle(output, request, OrthancPluginHttpMethod_Get, "GET", [&] {
    const auto flag = getArgument(request, "needs_review");
    if (!flag.empty() && flag != "true" && flag != "false") throw std::invalid_argument("needs_review must be true or false");
    const bool needsReview = flag == "true";
    const int limit = numberArgument(request, "limit", 50, 500), offset = numberArgument(request, "offset", 0, 1000000000);
    auto& q = service->queue();
    Json rows = Json::array();
    for (const auto& e : q.worklist(needsReview, limit, offset)) {
      const auto result = parsedOrNull(e.job.result);
      Json warnings = Json::array();
      if (result.is_object() && result.contains("parameters")) {
        for (const auto& [key, value] : result["parameters"]["parameters"].items()) {
          if (value.contains("warnings") && !value["warnings"].empty()) warnings.push_back(key);
        }
      }
      const bool refused = e.job.state == JobState::Skipped;
      rows.push_back(Json{{"job", e.job.id},
                          {"instance", e.job.instance},
                          {"state", refused ? "refused" : "measured"},
                          {"reasons", result.is_object() ? result.value("reasons", Json::array()) : Json::array()},
                          {"withheld", result.is_object() ? result.value("withheld", Json::array()) : Json::array()},
                          {"warnings", warnings},
                          {"model", result.is_object() ? result.value("model", Json::object()) : Json::object()},
                          {"analysed", e.job.updated},
                          {"superseded", e.superseded},
                          {"revision", e.latest ? e.latest->revision : 0},
                          {"review", e.latest ? reviewJson(*e.latest) : Json()}});
    }
    answerJson(output, Json{{"total", q.worklistCount(needsReview)}, {"offset", offset}, {"limit", limit},
                            {"needs_review", needsReview}, {"films", rows}});
  });
}

// GET: what the review page edits (the current landmarks and parameters, the history).
// POST: a decision ({"action", "based_on", ...}): 200 with the new revision, 409 when stale.
OrthancPluginErrorCode reviewJob(OrthancPluginRestOutput* output, const char*, const OrthancPluginHttpRequest* request) {
  const auto method = request->method == OrthancPluginHttpMethod_Post ? OrthancPluginHttpMethod_Post : OrthancPluginHttpMethod_Get;
  return handle(output, request, method, "GET,POST", [&] {
    const auto id = jobIdFrom(request->groups[0]);
    try {
      if (method == OrthancPluginHttpMethod_Post) {
        // A decision changes the study: only as JSON, which a page on another site cannot send
        // with the reviewer's credentials without a CORS preflight that Orthanc does not grant.
        if (header(request, "content-type").rfind("application/json", 0) != 0) {
          return answerError(output, 415, "a review decision is sent as Content-Type: application/json");
        }
        auto decision = sagitta::plugin::parseReviewRequest(
            std::string_view(static_cast<const char*>(request->body), request->bodySize));
        const auto user = service->config().orthancAuthenticates ? sagitta::plugin::basicAuthUser(header(request, "authorization")) : "";
        if (!user.empty()) {
          decision.reviewer = user;
          decision.authenticated = true;
        } else if (decision.reviewer.find_first_not_of(' ') == std::string::npos) {
          throw std::invalid_argument("reviewer: Orthanc has no authenticated user here, so the reviewer must give a name");
        }
        return answerJson(output, reviewJson(service->review(id, decision)));
      }
      const auto job = service->queue().job(id);
      if (!job || job->result.empty()) return answerError(output, 404, "job " + std::to_string(id) + " has no result to review");
      const auto result = parsedOrNull(job->result);
      const auto reviews = service->queue().reviewsOfJob(id);
      Json current{{"origin", "model"}, {"revision", 0},
                   {"landmarks", result.value("landmarks", Json())},
                   {"parameters", result.value("parameters", Json())}};
      if (const auto* r = sagitta::plugin::lastReissued(reviews)) {
        current = Json{{"origin", "review"}, {"revision", r->revision},
                       {"landmarks", parsedOrNull(r->landmarks)}, {"parameters", parsedOrNull(r->parameters)}};
      }
      const auto latest = service->queue().latestForInstance(job->instance);
      answerJson(output, Json{{"job", id},
                              {"instance", job->instance},
                              {"state", job->state == JobState::Skipped ? "refused" : "measured"},
                              {"reasons", result.value("reasons", Json::array())},
                              {"withheld", result.value("withheld", Json::array())},
                              {"model", result.value("model", Json::object())},
                              {"revision", reviews.empty() ? 0 : reviews.back().revision},
                              {"superseded_by", latest && latest->id != id ? Json(latest->id) : Json()},
                              {"authentication", service->config().orthancAuthenticates},
                              {"current", current},
                              {"reviews", reviewsJson(id)},
                              {"sr_instance", job->srInstance},
                              {"sc_instance", job->scInstance},
                              {"pdf_instance", job->pdfInstance}});
    } catch (const sagitta::plugin::ReviewConflict& e) {
      answerError(output, 409, e.what());
    } catch (const sagitta::plugin::ReviewNotFound& e) {
      answerError(output, 404, e.what());
    }
  });
}

OrthancPluginErrorCode reviewFilm(OrthancPluginRestOutput* output, const char*, const OrthancPluginHttpRequest* request) {
  return handle(output, request, OrthancPluginHttpMethod_Get, "GET", [&] {
    try {
      const auto png = service->filmPng(jobIdFrom(request->groups[0]));
      OrthancPluginAnswerBuffer(context, output, png.data(), static_cast<uint32_t>(png.size()), "image/png");
    } catch (const sagitta::plugin::ReviewNotFound& e) {
      answerError(output, 404, e.what());
    }
  });
}

// GET /sagitta/corrections?since=YYYY-MM-DD: the reviewed films whose latest decision is approve
// or correct, with their reviewed landmarks: what `sagitta corrections --from` turns into a
// training folder (each film itself from /instances/{id}/file).
OrthancPluginErrorCode corrections(OrthancPluginRestOutput* output, const char*, const OrthancPluginHttpRequest* request) {
  return handle(output, request, OrthancPluginHttpMethod_Get, "GET", [&] {
    const double since = sagitta::plugin::parseSinceDate(getArgument(request, "since"));
    Json list = Json::array();
    for (const auto& e : service->queue().reviewedSince(since)) {
      const auto& r = *e.latest;  // approve and correct both record the points they stand by
      const auto result = parsedOrNull(e.job.result);
      // How far the reviewed points are from the model's, whichever revision moved them.
      const auto modelPoints = sagitta::core::parseLandmarksJson(result.at("landmarks").dump());
      const auto reviewedPoints = sagitta::core::parseLandmarksJson(r.landmarks);
      const auto fromModel = Json::parse(sagitta::plugin::landmarkChanges(modelPoints.landmarks, reviewedPoints.landmarks));
      list.push_back(Json{{"name", "job" + std::to_string(e.job.id) + "-rev" + std::to_string(r.revision)},
                          {"job", e.job.id},
                          {"instance", e.job.instance},
                          {"revision", r.revision},
                          {"action", sagitta::plugin::reviewActionKey(r.action)},
                          {"reviewer", r.reviewer},
                          {"authenticated", r.authenticated},
                          {"reviewed", r.created},
                          {"model", result.is_object() ? result.value("model", Json::object()) : Json::object()},
                          {"landmarks_changed_from_model", fromModel.size()},
                          {"landmarks", parsedOrNull(r.landmarks)}});
    }
    answerJson(output, Json{{"since", since}, {"count", list.size()}, {"corrections", list}});
  });
}

// The landmarks and parameters the review page offers, from the core's catalogues.
OrthancPluginErrorCode catalogue(OrthancPluginRestOutput* output, const char*, const OrthancPluginHttpRequest* request) {
  return handle(output, request, OrthancPluginHttpMethod_Get, "GET", [&] {
    Json landmarks = Json::array(), parameters = Json::array();
    for (const auto& l : sagitta::core::landmarkCatalogue()) {
      landmarks.push_back(Json{{"key", std::string(l.key)}, {"description", std::string(l.description)}});
    }
    for (const auto& p : sagitta::core::parameterCatalogue()) {
      Json reads = Json::array();
      for (const auto id : p.landmarks) reads.push_back(std::string(sagitta::core::landmarkKey(id)));
      parameters.push_back(Json{{"key", std::string(p.key)}, {"name", std::string(p.name)},
                                {"paper_mean", p.paperMean}, {"paper_sd", p.paperSd}, {"landmarks", reads}});
    }
    answerJson(output, Json{{"landmarks", landmarks}, {"parameters", parameters}});
  });
}

// The review page's files, embedded at build time (orthanc-plugin/pages/).
OrthancPluginErrorCode page(OrthancPluginRestOutput* output, const char*, const OrthancPluginHttpRequest* request) {
  if (request->method != OrthancPluginHttpMethod_Get) {
    OrthancPluginSendMethodNotAllowed(context, output, "GET");
    return OrthancPluginErrorCode_Success;
  }
  const std::string name = request->groups[0];
  for (const auto& file : sagitta::plugin::kReviewPages) {
    if (name == file.name) {
      OrthancPluginAnswerBuffer(context, output, file.body, static_cast<uint32_t>(std::char_traits<char>::length(file.body)),
                                file.mime);
      return OrthancPluginErrorCode_Success;
    }
  }
  answerError(output, 404, "no page " + name.substr(0, 60));
  return OrthancPluginErrorCode_Success;
}

// OHIF's prebuilt viewer (viewer_site.hpp); its app-config.js is generated for this Orthanc.
OrthancPluginErrorCode ohif(OrthancPluginRestOutput* output, const char*, const OrthancPluginHttpRequest* request) {
  try {
    if (request->method != OrthancPluginHttpMethod_Get) {
      OrthancPluginSendMethodNotAllowed(context, output, "GET");
      return OrthancPluginErrorCode_Success;
    }
    if (!viewer) {
      answerError(output, 404, "OHIF is not served: " + viewerMissing);
      return OrthancPluginErrorCode_Success;
    }
    // Orthanc drops a trailing slash: "/ohif/" arrives as "/ohif", without a group (index.html,
    // whose links are all absolute).
    const std::string relative = request->groupsCount == 0 ? "" : request->groups[0];
    if (relative == "app-config.js") {
      OrthancPluginAnswerBuffer(context, output, viewerConfig.c_str(), static_cast<uint32_t>(viewerConfig.size()),
                                "text/javascript; charset=utf-8");
      return OrthancPluginErrorCode_Success;
    }
    const auto file = viewer->resolve(relative);
    std::ifstream in;
    if (file) in.open(file->path, std::ios::binary);
    if (!file || !in) {
      answerError(output, 404, "no such file in OHIF");
      return OrthancPluginErrorCode_Success;
    }
    const std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    OrthancPluginAnswerBuffer(context, output, body.data(), static_cast<uint32_t>(body.size()), file->mime.c_str());
  } catch (const std::exception& e) {
    logLine(LogLevel::Error, std::string("Sagitta OHIF: ") + e.what());
    answerError(output, 500, "internal error (see Orthanc's log)");
  }
  return OrthancPluginErrorCode_Success;
}

OrthancPluginErrorCode onChange(OrthancPluginChangeType type, OrthancPluginResourceType, const char* resourceId) {
  try {
    if (!service) return OrthancPluginErrorCode_Success;
    switch (type) {
      case OrthancPluginChangeType_NewInstance: service->onNewInstance(); break;
      case OrthancPluginChangeType_JobSuccess: service->onPacsJobEnded(resourceId, true); break;
      case OrthancPluginChangeType_JobFailure: service->onPacsJobEnded(resourceId, false); break;
      case OrthancPluginChangeType_OrthancStarted: service->start(); break;
      case OrthancPluginChangeType_OrthancStopped: service->stop(); break;
      default: break;
    }
  } catch (const std::exception& e) {
    logLine(LogLevel::Error, std::string("Sagitta: change callback: ") + e.what());
  }
  return OrthancPluginErrorCode_Success;
}

}  // namespace

extern "C" {

ORTHANC_PLUGINS_API int32_t OrthancPluginInitialize(OrthancPluginContext* c) {
  context = c;
  if (!OrthancPluginCheckVersion(c)) {
    OrthancPluginLogError(c, "Sagitta: this Orthanc is older than the plugin SDK it was built with");
    return -1;
  }
  OrthancPluginSetDescription(c, "Sagitta: sagittal spine parameters from whole-spine lateral radiographs (SR + SC)");
  OrthancPluginRegisterRestCallbackNoLock(c, "/sagitta/health", health);
  OrthancPluginRegisterRestCallbackNoLock(c, "/sagitta/metrics", metrics);
  OrthancPluginRegisterRestCallbackNoLock(c, "/sagitta/jobs", jobs);
  OrthancPluginRegisterRestCallbackNoLock(c, "/sagitta/jobs/([^/]+)", oneJob);
  OrthancPluginRegisterRestCallbackNoLock(c, "/sagitta/instances/([^/]+)/results", results);
  OrthancPluginRegisterRestCallbackNoLock(c, "/sagitta/instances/([^/]+)/analyse", analyseInstance);
  OrthancPluginRegisterRestCallbackNoLock(c, "/sagitta/series/([^/]+)/analyse", analyseSeries);
  OrthancPluginRegisterRestCallbackNoLock(c, "/sagitta/measure", measure);
  OrthancPluginRegisterRestCallbackNoLock(c, "/sagitta/measure/constructions", measureConstructions);
  OrthancPluginRegisterRestCallbackNoLock(c, "/sagitta/review/worklist", worklist);
  OrthancPluginRegisterRestCallbackNoLock(c, "/sagitta/review/catalogue", catalogue);
  OrthancPluginRegisterRestCallbackNoLock(c, "/sagitta/corrections", corrections);
  OrthancPluginRegisterRestCallbackNoLock(c, "/sagitta/review/jobs/([^/]+)", reviewJob);
  OrthancPluginRegisterRestCallbackNoLock(c, "/sagitta/review/jobs/([^/]+)/film.png", reviewFilm);
  OrthancPluginRegisterRestCallbackNoLock(c, "/sagitta/app/([a-z]+\\.(html|js|css))", page);
  OrthancPluginRegisterRestCallbackNoLock(c, "/ohif", ohif);
  OrthancPluginRegisterRestCallbackNoLock(c, "/ohif/(.*)", ohif);
  OrthancPluginRegisterOnChangeCallback(c, onChange);
  try {
    char* text = OrthancPluginGetConfiguration(c);
    const std::string configuration = text != nullptr ? text : "{}";
    OrthancPluginFreeString(c, text);
    auto config = sagitta::plugin::parsePluginConfig(configuration);
    if (!config.ohifFolder.empty()) {
      // A missing or unrelocated viewer is logged; analysis goes on without it.
      try {
        viewer = std::make_unique<sagitta::plugin::ViewerSite>(config.ohifFolder);
        viewerConfig = sagitta::plugin::ohifAppConfig(config.dicomWebRoot);
        logLine(LogLevel::Info, "Sagitta: OHIF served at /ohif/ from " + viewer->folder().string());
      } catch (const sagitta::plugin::ViewerSiteError& e) {
        viewerMissing = e.what();
        logLine(LogLevel::Error, std::string("Sagitta: OHIF not served: ") + e.what());
      }
    }
    if (!config.enable) {
      disabledReason = "Sagitta.Enable is false or the Sagitta section is absent";
      logLine(LogLevel::Warning, "Sagitta: disabled (" + disabledReason + ")");
      return 0;
    }
    store = std::make_unique<sagitta::plugin::OrthancStore>(c);
    service = std::make_unique<AnalysisService>(std::move(config), *store, logLine);
    OrthancPluginExtendOrthancExplorer(c, sagitta::plugin::kExplorerJs);
  } catch (const std::exception& e) {
    // Orthanc keeps storing images; the plugin stays inert and says why.
    disabledReason = e.what();
    service.reset();
    logLine(LogLevel::Error, std::string("Sagitta: disabled by its configuration: ") + e.what());
  }
  return 0;
}

ORTHANC_PLUGINS_API void OrthancPluginFinalize() {
  try {
    if (service) service->stop();
    service.reset();
    store.reset();
  } catch (const std::exception& e) {
    logLine(LogLevel::Error, std::string("Sagitta: finalize: ") + e.what());
  }
}

ORTHANC_PLUGINS_API const char* OrthancPluginGetName() { return "sagitta"; }

ORTHANC_PLUGINS_API const char* OrthancPluginGetVersion() { return sagitta::kVersion; }

}  // extern "C"
