// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/plugin/review.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

#include "sagitta/core/errors.hpp"
#include "sagitta/core/landmark_catalogue.hpp"

namespace sagitta::plugin {
namespace {

using Json = nlohmann::json;

std::string textField(const Json& body, const char* key, std::size_t maxLength) {
  if (!body.contains(key)) return "";
  if (!body.at(key).is_string()) throw std::invalid_argument(std::string(key) + " must be a string");
  const auto value = body.at(key).get<std::string>();
  if (value.size() > maxLength) {
    throw std::invalid_argument(std::string(key) + " is longer than " + std::to_string(maxLength) + " characters");
  }
  return value;
}

int base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

Json pointJson(const std::optional<core::Landmark>& l) {
  if (!l) return nullptr;
  return Json::array({std::round(l->x * 100.0) / 100.0, std::round(l->y * 100.0) / 100.0});
}

}  // namespace

// Here rather than in job_queue.cpp: the review body's parser (and its fuzz target, built
// without the queue's SQLite) needs them.
std::string reviewActionKey(ReviewAction action) {
  switch (action) {
    case ReviewAction::Approve: return "approve";
    case ReviewAction::Correct: return "correct";
    case ReviewAction::Reject: return "reject";
  }
  return "reject";
}

std::optional<ReviewAction> reviewActionFromKey(const std::string& key) {
  for (const auto a : {ReviewAction::Approve, ReviewAction::Correct, ReviewAction::Reject}) {
    if (reviewActionKey(a) == key) return a;
  }
  return std::nullopt;
}

ReviewRequest parseReviewRequest(std::string_view text) {
  if (text.empty()) throw std::invalid_argument("the body must be a JSON review decision (docs/PLUGIN.md)");
  if (text.size() > kMaxReviewBodyBytes) throw std::invalid_argument("the body is larger than a review can be (4 MB)");
  Json body;
  try {
    body = Json::parse(text);
  } catch (const Json::exception&) {
    throw std::invalid_argument("the body is not JSON");
  }
  if (!body.is_object()) throw std::invalid_argument("the body must be a JSON object");
  for (const auto& item : body.items()) {
    static const char* const known[] = {"action", "based_on", "reviewer", "reason", "landmarks"};
    bool ok = false;
    for (const char* k : known) ok = ok || item.key() == k;
    if (!ok) throw std::invalid_argument("unknown key " + item.key().substr(0, 40));
  }
  ReviewRequest r;
  const auto action = reviewActionFromKey(textField(body, "action", 16));
  if (!action) throw std::invalid_argument("action must be approve, correct or reject");
  r.action = *action;
  if (!body.contains("based_on") || !body.at("based_on").is_number_integer() || body.at("based_on").get<long long>() < 0 ||
      body.at("based_on").get<long long>() > 1000000) {
    throw std::invalid_argument("based_on must be the revision you reviewed (0 for the automatic result)");
  }
  r.basedOn = static_cast<int>(body.at("based_on").get<long long>());
  r.reviewer = textField(body, "reviewer", 200);
  r.reason = textField(body, "reason", 2000);
  if (r.action == ReviewAction::Reject && r.reason.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw std::invalid_argument("a rejection needs a reason");
  }
  if (r.action == ReviewAction::Correct) {
    if (!body.contains("landmarks")) throw std::invalid_argument("correct needs the corrected landmarks file");
    try {
      r.landmarks = core::parseLandmarksJson(body.at("landmarks").dump());
    } catch (const core::Error& e) {
      throw std::invalid_argument(std::string("landmarks: ") + e.what());
    }
  } else if (body.contains("landmarks")) {
    throw std::invalid_argument("landmarks belong to correct only (approve keeps the points as they are)");
  }
  return r;
}

std::string basicAuthUser(std::string_view header) {
  constexpr std::string_view prefix = "Basic ";
  if (header.size() <= prefix.size() || header.substr(0, prefix.size()) != prefix) return "";
  std::string decoded;
  unsigned bits = 0, buffer = 0;
  for (const char c : header.substr(prefix.size())) {
    if (c == '=') break;
    const int v = base64Value(c);
    if (v < 0) return "";
    // Only the bits not yet decoded are kept (fewer than 8 before these 6), so nothing overflows.
    buffer = ((buffer << 6U) | static_cast<unsigned>(v)) & 0x3fffU;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      decoded += static_cast<char>((buffer >> bits) & 0xffU);
    }
  }
  const auto colon = decoded.find(':');
  return colon == std::string::npos ? "" : decoded.substr(0, colon);
}

std::string landmarkChanges(const core::LandmarkSet& before, const core::LandmarkSet& after) {
  Json changes = Json::array();
  for (const auto& info : core::landmarkCatalogue()) {
    const auto& a = before.get(info.id);
    const auto& b = after.get(info.id);
    if (!a && !b) continue;
    // A hundredth of a pixel: what the landmarks file keeps; anything less is the same point.
    if (a && b && std::abs(a->x - b->x) < 0.01 && std::abs(a->y - b->y) < 0.01) continue;
    changes.push_back(Json{{"id", std::string(info.key)}, {"from", pointJson(a)}, {"to", pointJson(b)}});
  }
  return changes.dump();
}

const Review* lastReissued(const std::vector<Review>& history) {
  for (auto r = history.rbegin(); r != history.rend(); ++r) {
    if (!r->landmarks.empty()) return &*r;
  }
  return nullptr;
}

double parseSinceDate(const std::string& text) {
  if (text.empty()) return 0.0;
  const auto bad = [&] {
    return std::invalid_argument("since must be a date, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC): " + text.substr(0, 40));
  };
  if (text.size() != 10 && text.size() != 20) throw bad();
  std::tm t{};
  int consumed = 0;
  if (text.size() == 10) {
    if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &t.tm_year, &t.tm_mon, &t.tm_mday, &consumed) != 3 || consumed != 10) throw bad();
  } else if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &t.tm_year, &t.tm_mon, &t.tm_mday, &t.tm_hour, &t.tm_min,
                         &t.tm_sec, &consumed) != 6 || consumed != 20) {
    throw bad();
  }
  if (t.tm_year < 1970 || t.tm_mon < 1 || t.tm_mon > 12 || t.tm_mday < 1 || t.tm_mday > 31 || t.tm_hour > 23 ||
      t.tm_min > 59 || t.tm_sec > 60) {
    throw bad();
  }
  t.tm_year -= 1900;
  t.tm_mon -= 1;
  return static_cast<double>(timegm(&t));
}

}  // namespace sagitta::plugin
