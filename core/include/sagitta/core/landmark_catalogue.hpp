// SPDX-License-Identifier: GPL-3.0-or-later
// The 45 landmarks of LANDMARKS.md: ids, order (model channel order), anatomy.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace sagitta::core {

// Values are the channel indices of LANDMARKS.md; never reorder.
enum class LandmarkId : std::uint8_t {
  C2_DENS, C2_AI, C2_PI, C7_AI, C7_PS, C7_PI, T1_AS, T1_PS,
  T5_AS, T5_PS, T5_AI, T5_PI, T12_AI, T12_PI, L1_AS, L1_PS,
  L4_AS, L4_PS, S1_A, S1_P, FH_A, FH_P,
  C2_C, C3_C, C4_C, C5_C, C6_C, C7_C,
  T1_C, T2_C, T3_C, T4_C, T5_C, T6_C, T7_C, T8_C, T9_C, T10_C, T11_C, T12_C,
  L1_C, L2_C, L3_C, L4_C, L5_C,
};

inline constexpr std::size_t kLandmarkCount = 45;

enum class Region : std::uint8_t { Cervical, Thoracic, Lumbar, Sacral, Hip };

enum class LandmarkKind : std::uint8_t {
  Dens,            // centre of the odontoid process
  AnteriorCorner,  // anterior end of an endplate
  PosteriorCorner, // posterior end of an endplate
  FemoralHead,     // centre of a femoral head
  BodyCentre,      // centre of a vertebral body
};

struct LandmarkInfo {
  LandmarkId id;
  std::string_view key;          // e.g. "T12_AI", as in every file
  std::string_view description;  // e.g. "T12 antero-inferior corner"
  Region region;
  LandmarkKind kind;
  // Cranio-caudal position: 0 = C2 ... 22 = L5, 23 = S1, 24 = hips. Used for ordering checks.
  int level;
};

const std::array<LandmarkInfo, kLandmarkCount>& landmarkCatalogue();
const LandmarkInfo& landmarkInfo(LandmarkId id);
std::string_view landmarkKey(LandmarkId id);
std::optional<LandmarkId> landmarkFromKey(std::string_view key);
constexpr std::size_t indexOf(LandmarkId id) { return static_cast<std::size_t>(id); }
std::string_view regionName(Region region);

// The vertebral-body centres C2..L5, cranial to caudal.
const std::array<LandmarkId, 23>& bodyCentres();

// Anterior/posterior point pairs of the same endplate (used for facing and corner checks).
struct EndplatePair {
  LandmarkId anterior;
  LandmarkId posterior;
};
const std::array<EndplatePair, 9>& endplatePairs();

}  // namespace sagitta::core
