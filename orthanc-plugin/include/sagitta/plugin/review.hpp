// SPDX-License-Identifier: GPL-3.0-or-later
// The reviewer's side of a result (the review page, docs/PLUGIN.md "Review"): a decision on one
// job's landmarks, as the REST body carries it, and what the service answers when it cannot
// take it.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sagitta/core/landmarks_json.hpp"
#include "sagitta/plugin/job_queue.hpp"

namespace sagitta::plugin {

inline constexpr std::size_t kMaxReviewBodyBytes = 4 * 1024 * 1024;

// The decision is against a result that has moved on (another review, a rerun): HTTP 409.
class ReviewConflict : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// No such job, or a job with nothing to review: HTTP 404.
class ReviewNotFound : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ReviewRequest {
  ReviewAction action = ReviewAction::Approve;
  int basedOn = 0;                // the revision the reviewer saw (0: the automatic result)
  std::string reviewer;           // as typed; replaced by the authenticated user when there is one
  bool authenticated = false;
  std::string reason;             // required for reject, optional otherwise
  std::optional<core::LandmarkFile> landmarks;  // required for correct: every point the film shows
};

// {"action": "approve" | "correct" | "reject", "based_on": N, "reviewer": "...", "reason": "...",
//  "landmarks": <landmarks file>}. Throws std::invalid_argument with the reason (HTTP 400).
ReviewRequest parseReviewRequest(std::string_view body);

// The reviewer's name from an HTTP Basic Authorization header ("Basic base64(user:password)"),
// or empty when the header is absent or not Basic. Orthanc has checked the password before the
// plugin sees the request when its AuthenticationEnabled is true.
std::string basicAuthUser(std::string_view authorization);

// Per landmark, how the reviewer's set differs from the one before: a JSON array of
// {"id", "from": [x, y] | null, "to": [x, y] | null} (moved, added, removed); empty when equal.
std::string landmarkChanges(const core::LandmarkSet& before, const core::LandmarkSet& after);

// The latest decision that re-issued the points (approve or correct) in a job's history, oldest
// first; nullptr when none did (the model's points stand).
const Review* lastReissued(const std::vector<Review>& history);

// GET /sagitta/corrections?since=: "YYYY-MM-DD" (midnight UTC) or "YYYY-MM-DDTHH:MM:SSZ" as Unix
// seconds; empty gives 0 (everything). Throws std::invalid_argument for anything else.
double parseSinceDate(const std::string& text);

}  // namespace sagitta::plugin
