// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/plugin/forwarder.hpp"

#include <stdexcept>

namespace sagitta::plugin {

void Forwarder::failed(const Forward& f, const std::string& reason) {
  queue_.forwardFailed(f.id, reason, backoff_);
  log_(true, "Sagitta: forward " + std::to_string(f.id) + " of job " + std::to_string(f.job) + " to " + f.destination +
                 " attempt " + std::to_string(f.attempts) + " failed: " + reason);
}

int Forwarder::step(double now) {
  int changed = 0;
  for (const auto& f : queue_.sendingForwards()) {
    auto progress = store_.forwardProgress(f.orthancJob);
    if (progress.state == ForwardProgress::State::Unknown) {
      // Gone from /jobs: the change log's record of its end decides.
      if (const auto succeeded = queue_.pacsJobSucceeded(f.orthancJob)) {
        progress = *succeeded ? ForwardProgress{ForwardProgress::State::Success, ""}
                              : ForwardProgress{ForwardProgress::State::Failure,
                                                "Orthanc reported the send job " + f.orthancJob +
                                                    " failed (its details are no longer in Orthanc's job history)"};
      } else if (now - unknownSince_.emplace(f.id, now).first->second < kLostAfterSeconds) {
        continue;  // its end may not be reported yet
      }
    }
    if (progress.state != ForwardProgress::State::Unknown) unknownSince_.erase(f.id);
    switch (progress.state) {
      case ForwardProgress::State::Running: break;
      case ForwardProgress::State::Held:
        if (now - f.updated >= stalledSeconds_) {
          store_.cancelForward(f.orthancJob);
          failed(f, "the send job " + f.orthancJob + " stayed " + progress.reason + " in Orthanc for " +
                        std::to_string(static_cast<long long>(now - f.updated)) + " s (Forwarding.StalledSeconds); cancelled");
          ++changed;
        }
        break;
      case ForwardProgress::State::Success:
        queue_.markSent(f.id);
        metrics_.observe(Stage::Forwarding, now - f.updated);
        log_(false, "Sagitta: forward " + std::to_string(f.id) + " of job " + std::to_string(f.job) + " to " +
                        f.destination + " sent");
        ++changed;
        break;
      case ForwardProgress::State::Failure: failed(f, progress.reason); ++changed; break;
      case ForwardProgress::State::Unknown:
        unknownSince_.erase(f.id);
        failed(f, "the PACS lost the send job " + f.orthancJob + " (restarted?)");
        ++changed;
        break;
    }
  }
  for (const auto& f : queue_.claimDueForwards(now, 32)) {
    try {
      queue_.markSending(f.id, store_.startForward(parseDestination(f.destination), f.resources));
    } catch (const std::exception& e) {
      queue_.forwardFailed(f.id, std::string("cannot start the send: ") + e.what(), backoff_);
      log_(true, "Sagitta: forward " + std::to_string(f.id) + " to " + f.destination + " not started: " + e.what());
    }
    ++changed;
  }
  return changed;
}

}  // namespace sagitta::plugin
