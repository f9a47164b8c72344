// SPDX-License-Identifier: GPL-3.0-or-later
// The run folder both trainers keep (trainer.hpp lists its files): the refusal to start over a
// run, resuming from the last checkpoint, the log, the progress line, and the end of an epoch
// (history row, best epoch, checkpoints, state). Files are replaced atomically, so an
// interrupted run never leaves half a checkpoint.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <limits>
#include <ostream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "sagitta/core/landmark_catalogue.hpp"
#include "sagitta/models/errors.hpp"
#include "sagitta/models/localisation_error.hpp"
#include "sagitta/models/trainer.hpp"

namespace sagitta::models::detail {

inline std::string formatDuration(double seconds) {
  const auto s = static_cast<long>(std::max(0.0, seconds));
  char text[32];
  if (s >= 3600) std::snprintf(text, sizeof text, "%ldh%02ldm", s / 3600, (s / 60) % 60);
  else std::snprintf(text, sizeof text, "%ldm%02lds", s / 60, s % 60);
  return text;
}

inline void writeAtomically(const std::filesystem::path& path, const std::string& text) {
  const auto tmp = std::filesystem::path(path.string() + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw ConfigError("cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, path);
}

template <typename T>
void saveAtomically(const T& object, const std::filesystem::path& path) {
  const auto tmp = std::filesystem::path(path.string() + ".tmp");
  torch::save(object, tmp.string());
  std::filesystem::rename(tmp, path);
}

class RunFolder {
 public:
  using Clock = std::chrono::steady_clock;

  // Refuses a folder that holds a run unless resuming; a new run gets config.json and the
  // history header.
  RunFolder(const std::string& output, bool resume, const std::string& configText, const std::string& historyHeader,
            std::ostream& console, bool interactive)
      : out_(output), console_(console), interactive_(interactive), started_(Clock::now()) {
    std::filesystem::create_directories(out_);
    resuming_ = std::filesystem::exists(out_ / "state.json");
    if (resuming_ && !resume) {
      throw ConfigError("run folder " + out_.string() + " already holds a run: pass --resume, or choose another output");
    }
    logFile_.open(out_ / "train.log", std::ios::app);
    if (!resuming_) {
      writeAtomically(out_ / "config.json", configText);
      std::ofstream(out_ / "history.csv") << historyHeader << '\n';
    }
  }

  // Loads state.json and the last checkpoint when resuming; returns the last finished epoch.
  template <typename Network, typename Optimiser>
  int resumeInto(Network& network, Optimiser& optimiser, const torch::Device& device) {
    if (!resuming_) return 0;
    std::ifstream in(out_ / "state.json");
    const auto state = nlohmann::json::parse(in);
    epochsDone_ = state.at("epochs_done").get<int>();
    best_ = state.at("best_selection_error").get<double>();
    bestEpoch_ = state.at("best_epoch").get<int>();
    stale_ = state.at("epochs_without_improvement").get<int>();
    elapsedBefore_ = state.at("elapsed_seconds").get<double>();
    torch::load(network, (out_ / "last.pt").string(), device);
    torch::load(optimiser, (out_ / "last-optimizer.pt").string(), device);
    log("resumed after epoch " + std::to_string(epochsDone_) + " (best " + std::to_string(best_) + " at epoch " +
        std::to_string(bestEpoch_) + ")");
    return epochsDone_;
  }

  void log(const std::string& line) {
    logFile_ << line << '\n';
    logFile_.flush();
    console_ << (interactive_ ? "\r\033[K" : "") << line << '\n';
    console_.flush();
  }

  // The progress line: redrawn every second on a terminal, once a minute in a log.
  void progress(int epoch, int epochs, std::size_t step, std::size_t steps, const std::string& losses,
                Clock::time_point epochStart) {
    const auto now = Clock::now();
    if (now - lastDraw_ < std::chrono::seconds(interactive_ ? 1 : 60) && step + 1 != steps) return;
    lastDraw_ = now;
    const double perStep = std::chrono::duration<double>(now - epochStart).count() / static_cast<double>(step + 1);
    const int filled = static_cast<int>(20.0 * static_cast<double>(step + 1) / static_cast<double>(steps));
    const double left = perStep * static_cast<double>(steps - step - 1);
    std::ostringstream line;
    line << "epoch " << epoch << "/" << epochs << " [" << std::string(static_cast<std::size_t>(filled), '#')
         << std::string(static_cast<std::size_t>(20 - filled), '.') << "] " << (step + 1) << "/" << steps << " "
         << losses << " " << std::fixed << std::setprecision(2) << perStep << " s/step, ETA " << formatDuration(left)
         << " epoch / " << formatDuration(perStep * static_cast<double>(steps) * (epochs - epoch) + left) << " run";
    console_ << (interactive_ ? "\r\033[K" : "") << line.str() << (interactive_ ? "" : "\n");
    console_.flush();
  }

  // After an epoch's validation: the history row (after the epoch and learning rate), best.pt and
  // best.json when the selection error improved, the checkpoints and state.json, the epoch line.
  // Returns whether training should stop, and why, in `stopReason`.
  template <typename Network, typename Optimiser>
  bool endEpoch(int epoch, double lr, double loss, const std::string& historyTerms, const ErrorSummary& summary,
                Network& network, Optimiser& optimiser, Clock::time_point epochStart, int patience,
                double timeLimitMinutes, std::string& stopReason) {
    const double seconds = std::chrono::duration<double>(Clock::now() - epochStart).count();
    std::ofstream(out_ / "history.csv", std::ios::app)
        << epoch << ',' << lr << ',' << historyTerms << ',' << summary.selectionError << ',' << summary.medianMmAll << ','
        << summary.worstMedianMm << ',' << seconds << '\n';
    const bool improved = summary.selectionError < best_;
    if (improved) {
      best_ = summary.selectionError;
      bestEpoch_ = epoch;
      stale_ = 0;
      saveAtomically(network, out_ / "best.pt");
      nlohmann::json perLandmark = nlohmann::json::object();
      for (const auto& info : core::landmarkCatalogue()) {
        const auto i = core::indexOf(info.id);
        perLandmark[std::string(info.key)] = {{"median_mm", summary.medianMm[i]}, {"median_weighted", summary.medianWeighted[i]}};
      }
      writeAtomically(out_ / "best.json", nlohmann::json{{"epoch", epoch}, {"selection_error", summary.selectionError},
                                                         {"median_mm", summary.medianMmAll},
                                                         {"worst_landmark_median_mm", summary.worstMedianMm},
                                                         {"landmarks", perLandmark}}.dump(2));
    } else {
      ++stale_;
    }
    saveAtomically(network, out_ / "last.pt");
    saveAtomically(optimiser, out_ / "last-optimizer.pt");
    const double elapsed = elapsedBefore_ + std::chrono::duration<double>(Clock::now() - started_).count();
    writeAtomically(out_ / "state.json", nlohmann::json{{"epochs_done", epoch}, {"best_selection_error", best_},
                                                        {"best_epoch", bestEpoch_}, {"epochs_without_improvement", stale_},
                                                        {"learning_rate", lr}, {"elapsed_seconds", elapsed}}.dump(2));
    std::ostringstream line;
    line << std::fixed << std::setprecision(3) << "epoch " << epoch << ": loss " << loss
         << ", validation selection error (eq. 8) " << summary.selectionError << ", median " << summary.medianMmAll
         << " mm, worst landmark median " << summary.worstMedianMm << " mm" << (improved ? " (best)" : "") << ", "
         << formatDuration(seconds);
    log(line.str());
    epochsRun_ = epoch;
    if (stale_ >= patience) stopReason = "early stopping";
    else if (timeLimitMinutes > 0.0 && elapsed > timeLimitMinutes * 60.0) stopReason = "time limit";
    else return false;
    return true;
  }

  // The summary of this invocation, logged.
  TrainResult finish(const std::string& stopReason) {
    TrainResult result;
    result.stopReason = stopReason;
    result.epochsRun = std::max(epochsRun_, epochsDone_);
    result.bestEpoch = bestEpoch_;
    result.bestSelectionError = best_;
    if (std::filesystem::exists(out_ / "best.json")) {
      std::ifstream in(out_ / "best.json");
      result.bestMedianMm = nlohmann::json::parse(in).at("median_mm").get<double>();
    }
    result.seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    log("stopped (" + stopReason + ") after epoch " + std::to_string(result.epochsRun) + "; best epoch " +
        std::to_string(bestEpoch_));
    return result;
  }

 private:
  std::filesystem::path out_;
  std::ostream& console_;
  bool interactive_;
  bool resuming_ = false;
  std::ofstream logFile_;
  Clock::time_point started_, lastDraw_{};
  int epochsDone_ = 0, epochsRun_ = 0, bestEpoch_ = 0, stale_ = 0;
  double best_ = std::numeric_limits<double>::infinity(), elapsedBefore_ = 0.0;
};

}  // namespace sagitta::models::detail
