// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/plugin/forwarder.hpp"

#include <stdexcept>

namespace sagitta::plugin {

int Forwarder::step(double now) {
  int changed = 0;
  for (const auto& f : queue_.sendingForwards()) {
    const auto progress = store_.forwardProgress(f.orthancJob);
    const auto tag = "Sagitta: forward " + std::to_string(f.id) + " of job " + std::to_string(f.job) + " to " + f.destination;
    switch (progress.state) {
      case ForwardProgress::State::Running: break;
      case ForwardProgress::State::Success:
        queue_.markSent(f.id);
        metrics_.observe(Stage::Forwarding, now - f.updated);
        log_(false, tag + " sent");
        ++changed;
        break;
      case ForwardProgress::State::Failure:
      case ForwardProgress::State::Unknown: {
        const auto reason = progress.state == ForwardProgress::State::Unknown
                                ? "the PACS lost the send job " + f.orthancJob + " (restarted?)"
                                : progress.reason;
        queue_.forwardFailed(f.id, reason, backoff_);
        log_(true, tag + " attempt " + std::to_string(f.attempts) + " failed: " + reason);
        ++changed;
        break;
      }
    }
  }
  for (const auto& f : queue_.dueForwards(now, 32)) {
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
