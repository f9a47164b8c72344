// SPDX-License-Identifier: GPL-3.0-or-later
// sagitta train --config FILE [--resume]: trains one network (docs/TRAINING.md).
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <ostream>

#include "arguments.hpp"
#include "cli.hpp"
#include "sagitta/models/refiner_trainer.hpp"
#include "sagitta/models/train_config.hpp"
#include "sagitta/models/trainer.hpp"

namespace sagitta::cli {

int runTrain(const std::vector<std::string>& args, Streams io) {
  const Arguments arguments(args, {"config", "preview"}, {"resume", "help"});
  if (arguments.flag("help")) {
    io.out << "usage: sagitta train --config FILE.json [--resume | --preview DIR]\n"
              "  trains one landmark network (the CPN, or the local refiner when the config says\n"
              "  \"kind\": \"refiner\"); the run folder (config \"output\") receives checkpoints,\n"
              "  train.log, history.csv and best.pt; --resume continues an interrupted run;\n"
              "  --preview DIR writes 24 training inputs (cut, augmented) as PNGs and trains nothing\n";
    return kExitOk;
  }
  const auto path = arguments.required("config");
  const auto text = readInputFile(path, io.in, 1 << 20);
  const auto folder = std::filesystem::path(path).parent_path().string();
  const auto base = folder.empty() ? std::string(".") : folder;
  const bool interactive = &io.err == &std::cerr && isatty(STDERR_FILENO) != 0;
  models::TrainResult result;
  std::string output;
  if (models::isRefinerConfig(text)) {
    const auto config = models::parseRefinerConfig(text, base);
    output = config.output;
    result = models::trainRefiner(config, text, arguments.flag("resume"), io.err, interactive);
  } else {
    const auto config = models::parseTrainConfig(text, base);
    if (const auto preview = arguments.value("preview")) {
      const auto files = models::writeTrainingPreview(config, *preview, 24);
      io.out << files.size() << " training inputs written to " << *preview << "\n";
      return kExitOk;
    }
    output = config.output;
    result = models::train(config, text, arguments.flag("resume"), io.err, interactive);
  }
  io.out << "best epoch " << result.bestEpoch << ": selection error " << result.bestSelectionError << ", median "
         << result.bestMedianMm << " mm; " << output << "/best.pt\n";
  return kExitOk;
}

}  // namespace sagitta::cli
