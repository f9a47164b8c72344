// SPDX-License-Identifier: GPL-3.0-or-later
// The truth file of a phantom: the landmarks file of FORMATS.md plus "phantom" (how it was
// made: seed, patient, varieties, sampled shape) and "parameters" (the 18 parameters computed
// by the measurement engine from the true landmarks).
#pragma once

#include <string>

#include "sagitta/phantom/generator.hpp"

namespace sagitta::phantom {

std::string truthToJson(const PhantomCase& phantomCase);

}  // namespace sagitta::phantom
