// SPDX-License-Identifier: GPL-3.0-or-later
// The network's shape, without LibTorch: what a bundle manifest records and what the CLI, the
// plugin and the benches read without compiling torch's headers.
#pragma once

#include <cstdint>

namespace sagitta::models {

struct NetworkConfig {
  int64_t landmarks = 45;
  int64_t baseChannels = 16;      // stem width; stages double it (x2, x4, x8, x16)
  int64_t pyramidChannels = 64;   // GlobalNet / RefineNet width
  int64_t blocksPerStage = 1;     // residual blocks per backbone stage (after the strided one)
  int64_t inputHeight = 864, inputWidth = 480;  // the paper's padded input
  // A per-landmark presence output (is the landmark on the film at all?), read from the deepest
  // features: what lets a lumbar or cervical film be measured for what it shows (issue 16).
  bool presence = false;
};

// Floating-point operations of one forward pass (2 per multiply-add), counted over the
// convolutions of the CPN in network.hpp; batch norm, ReLU, upsampling and DSNT add < 2 %.
double forwardFlops(const NetworkConfig& config);

}  // namespace sagitta::models
