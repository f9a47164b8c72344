// SPDX-License-Identifier: GPL-3.0-or-later
// From a sampled patient and its spine to the full scene the renderer draws.
#pragma once

#include "sagitta/phantom/patient.hpp"
#include "sagitta/phantom/rng.hpp"
#include "sagitta/phantom/scene.hpp"
#include "sagitta/phantom/spine_geometry.hpp"

namespace sagitta::phantom {

Scene buildScene(const PatientSpec& patient, const SpineGeometry& spine, Rng& rng);

}  // namespace sagitta::phantom
