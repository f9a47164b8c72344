// SPDX-License-Identifier: GPL-3.0-or-later
#include "sagitta/core/landmark_catalogue.hpp"

#include <cassert>

namespace sagitta::core {
namespace {

using K = LandmarkKind;
using R = Region;
using L = LandmarkId;

constexpr std::array<LandmarkInfo, kLandmarkCount> kCatalogue{{
    {L::C2_DENS, "C2_DENS", "centre of the dens (odontoid process) of C2", R::Cervical, K::Dens, 0},
    {L::C2_AI, "C2_AI", "C2 antero-inferior corner", R::Cervical, K::AnteriorCorner, 0},
    {L::C2_PI, "C2_PI", "C2 postero-inferior corner", R::Cervical, K::PosteriorCorner, 0},
    {L::C7_AI, "C7_AI", "C7 antero-inferior corner", R::Cervical, K::AnteriorCorner, 5},
    {L::C7_PS, "C7_PS", "C7 postero-superior corner", R::Cervical, K::PosteriorCorner, 5},
    {L::C7_PI, "C7_PI", "C7 postero-inferior corner", R::Cervical, K::PosteriorCorner, 5},
    {L::T1_AS, "T1_AS", "T1 antero-superior corner", R::Thoracic, K::AnteriorCorner, 6},
    {L::T1_PS, "T1_PS", "T1 postero-superior corner", R::Thoracic, K::PosteriorCorner, 6},
    {L::T5_AS, "T5_AS", "T5 antero-superior corner", R::Thoracic, K::AnteriorCorner, 10},
    {L::T5_PS, "T5_PS", "T5 postero-superior corner", R::Thoracic, K::PosteriorCorner, 10},
    {L::T5_AI, "T5_AI", "T5 antero-inferior corner", R::Thoracic, K::AnteriorCorner, 10},
    {L::T5_PI, "T5_PI", "T5 postero-inferior corner", R::Thoracic, K::PosteriorCorner, 10},
    {L::T12_AI, "T12_AI", "T12 antero-inferior corner", R::Thoracic, K::AnteriorCorner, 17},
    {L::T12_PI, "T12_PI", "T12 postero-inferior corner", R::Thoracic, K::PosteriorCorner, 17},
    {L::L1_AS, "L1_AS", "L1 antero-superior corner", R::Lumbar, K::AnteriorCorner, 18},
    {L::L1_PS, "L1_PS", "L1 postero-superior corner", R::Lumbar, K::PosteriorCorner, 18},
    {L::L4_AS, "L4_AS", "L4 antero-superior corner", R::Lumbar, K::AnteriorCorner, 21},
    {L::L4_PS, "L4_PS", "L4 postero-superior corner", R::Lumbar, K::PosteriorCorner, 21},
    {L::S1_A, "S1_A", "anterior edge of the S1 superior endplate", R::Sacral, K::AnteriorCorner, 23},
    {L::S1_P, "S1_P", "posterior edge of the S1 superior endplate", R::Sacral, K::PosteriorCorner, 23},
    {L::FH_A, "FH_A", "centre of the more anterior femoral head", R::Hip, K::FemoralHead, 24},
    {L::FH_P, "FH_P", "centre of the more posterior femoral head", R::Hip, K::FemoralHead, 24},
    {L::C2_C, "C2_C", "C2 vertebral-body centre", R::Cervical, K::BodyCentre, 0},
    {L::C3_C, "C3_C", "C3 vertebral-body centre", R::Cervical, K::BodyCentre, 1},
    {L::C4_C, "C4_C", "C4 vertebral-body centre", R::Cervical, K::BodyCentre, 2},
    {L::C5_C, "C5_C", "C5 vertebral-body centre", R::Cervical, K::BodyCentre, 3},
    {L::C6_C, "C6_C", "C6 vertebral-body centre", R::Cervical, K::BodyCentre, 4},
    {L::C7_C, "C7_C", "C7 vertebral-body centre", R::Cervical, K::BodyCentre, 5},
    {L::T1_C, "T1_C", "T1 vertebral-body centre", R::Thoracic, K::BodyCentre, 6},
    {L::T2_C, "T2_C", "T2 vertebral-body centre", R::Thoracic, K::BodyCentre, 7},
    {L::T3_C, "T3_C", "T3 vertebral-body centre", R::Thoracic, K::BodyCentre, 8},
    {L::T4_C, "T4_C", "T4 vertebral-body centre", R::Thoracic, K::BodyCentre, 9},
    {L::T5_C, "T5_C", "T5 vertebral-body centre", R::Thoracic, K::BodyCentre, 10},
    {L::T6_C, "T6_C", "T6 vertebral-body centre", R::Thoracic, K::BodyCentre, 11},
    {L::T7_C, "T7_C", "T7 vertebral-body centre", R::Thoracic, K::BodyCentre, 12},
    {L::T8_C, "T8_C", "T8 vertebral-body centre", R::Thoracic, K::BodyCentre, 13},
    {L::T9_C, "T9_C", "T9 vertebral-body centre", R::Thoracic, K::BodyCentre, 14},
    {L::T10_C, "T10_C", "T10 vertebral-body centre", R::Thoracic, K::BodyCentre, 15},
    {L::T11_C, "T11_C", "T11 vertebral-body centre", R::Thoracic, K::BodyCentre, 16},
    {L::T12_C, "T12_C", "T12 vertebral-body centre", R::Thoracic, K::BodyCentre, 17},
    {L::L1_C, "L1_C", "L1 vertebral-body centre", R::Lumbar, K::BodyCentre, 18},
    {L::L2_C, "L2_C", "L2 vertebral-body centre", R::Lumbar, K::BodyCentre, 19},
    {L::L3_C, "L3_C", "L3 vertebral-body centre", R::Lumbar, K::BodyCentre, 20},
    {L::L4_C, "L4_C", "L4 vertebral-body centre", R::Lumbar, K::BodyCentre, 21},
    {L::L5_C, "L5_C", "L5 vertebral-body centre", R::Lumbar, K::BodyCentre, 22},
}};

constexpr bool catalogueIsInChannelOrder() {
  for (std::size_t i = 0; i < kCatalogue.size(); ++i) {
    if (indexOf(kCatalogue[i].id) != i) return false;
  }
  return true;
}
static_assert(catalogueIsInChannelOrder(), "catalogue rows must follow LANDMARKS.md order");

constexpr std::array<LandmarkId, 23> kCentres{
    L::C2_C, L::C3_C, L::C4_C, L::C5_C, L::C6_C, L::C7_C, L::T1_C, L::T2_C,
    L::T3_C, L::T4_C, L::T5_C, L::T6_C, L::T7_C, L::T8_C, L::T9_C, L::T10_C,
    L::T11_C, L::T12_C, L::L1_C, L::L2_C, L::L3_C, L::L4_C, L::L5_C};

constexpr std::array<EndplatePair, 9> kPairs{{
    {L::C2_AI, L::C2_PI}, {L::C7_AI, L::C7_PI}, {L::T1_AS, L::T1_PS},
    {L::T5_AS, L::T5_PS}, {L::T5_AI, L::T5_PI}, {L::T12_AI, L::T12_PI},
    {L::L1_AS, L::L1_PS}, {L::L4_AS, L::L4_PS}, {L::S1_A, L::S1_P},
}};

}  // namespace

const std::array<LandmarkInfo, kLandmarkCount>& landmarkCatalogue() { return kCatalogue; }

const LandmarkInfo& landmarkInfo(LandmarkId id) { return kCatalogue.at(indexOf(id)); }

std::string_view landmarkKey(LandmarkId id) { return landmarkInfo(id).key; }

std::optional<LandmarkId> landmarkFromKey(std::string_view key) {
  for (const auto& info : kCatalogue) {
    if (info.key == key) return info.id;
  }
  return std::nullopt;
}

std::string_view regionName(Region region) {
  switch (region) {
    case Region::Cervical: return "cervical";
    case Region::Thoracic: return "thoracic";
    case Region::Lumbar: return "lumbar";
    case Region::Sacral: return "sacral";
    case Region::Hip: return "hip";
  }
  return "unknown";
}

const std::array<LandmarkId, 23>& bodyCentres() { return kCentres; }

const std::array<EndplatePair, 9>& endplatePairs() { return kPairs; }

}  // namespace sagitta::core
