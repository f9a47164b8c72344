// SPDX-License-Identifier: GPL-3.0-or-later
// Writes a phantom case as a DX image (Digital X-Ray Image Storage - For Presentation) with the
// modules a real modality writes; obviously synthetic patient data; deterministic UIDs.
#pragma once

#include <string>

#include "sagitta/phantom/generator.hpp"

namespace sagitta::phantom {

// Throws std::runtime_error with DCMTK's reason when the file cannot be written.
void writeDicom(const PhantomCase& phantomCase, const std::string& path);

}  // namespace sagitta::phantom
