// SPDX-License-Identifier: GPL-3.0-or-later
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "sagitta/core/landmark_catalogue.hpp"
#include "sagitta/core/parameter_catalogue.hpp"

namespace sagitta::core {
namespace {

TEST(LandmarkCatalogue, OrderIsThatOfLandmarksMd) {
  // Copied from ../shared/reference/LANDMARKS.md: the model's channel order.
  const char* expected[] = {
      "C2_DENS", "C2_AI", "C2_PI", "C7_AI", "C7_PS", "C7_PI", "T1_AS", "T1_PS", "T5_AS", "T5_PS",
      "T5_AI", "T5_PI", "T12_AI", "T12_PI", "L1_AS", "L1_PS", "L4_AS", "L4_PS", "S1_A", "S1_P",
      "FH_A", "FH_P", "C2_C", "C3_C", "C4_C", "C5_C", "C6_C", "C7_C", "T1_C", "T2_C",
      "T3_C", "T4_C", "T5_C", "T6_C", "T7_C", "T8_C", "T9_C", "T10_C", "T11_C", "T12_C",
      "L1_C", "L2_C", "L3_C", "L4_C", "L5_C"};
  ASSERT_EQ(landmarkCatalogue().size(), std::size(expected));
  for (std::size_t i = 0; i < std::size(expected); ++i) {
    EXPECT_EQ(landmarkCatalogue()[i].key, expected[i]) << i;
    EXPECT_EQ(indexOf(landmarkCatalogue()[i].id), i);
    EXPECT_EQ(landmarkFromKey(expected[i]), landmarkCatalogue()[i].id);
  }
}

TEST(LandmarkCatalogue, LookupRejectsUnknownAndCaseVariants) {
  EXPECT_FALSE(landmarkFromKey("c2_dens").has_value());
  EXPECT_FALSE(landmarkFromKey("S2_A").has_value());
  EXPECT_FALSE(landmarkFromKey("").has_value());
}

TEST(LandmarkCatalogue, RegionsAndLevels) {
  EXPECT_EQ(landmarkInfo(LandmarkId::C7_PS).region, Region::Cervical);
  EXPECT_EQ(landmarkInfo(LandmarkId::T12_C).region, Region::Thoracic);
  EXPECT_EQ(landmarkInfo(LandmarkId::L4_AS).region, Region::Lumbar);
  EXPECT_EQ(landmarkInfo(LandmarkId::S1_P).region, Region::Sacral);
  EXPECT_EQ(landmarkInfo(LandmarkId::FH_A).region, Region::Hip);
  int previous = -1;
  for (const auto id : bodyCentres()) {
    EXPECT_EQ(landmarkInfo(id).kind, LandmarkKind::BodyCentre);
    EXPECT_EQ(landmarkInfo(id).level, previous + 1);
    previous = landmarkInfo(id).level;
  }
  for (const auto& pair : endplatePairs()) {
    EXPECT_EQ(landmarkInfo(pair.anterior).kind, LandmarkKind::AnteriorCorner);
    EXPECT_EQ(landmarkInfo(pair.posterior).kind, LandmarkKind::PosteriorCorner);
    EXPECT_EQ(landmarkInfo(pair.anterior).level, landmarkInfo(pair.posterior).level);
  }
}

TEST(ParameterCatalogue, EighteenParametersInTheOrderOfParametersMd) {
  const char* expected[] = {"PI",   "SS",   "PT",  "LL",  "SVA", "CL", "T1S", "cSVA",   "GTK",
                            "PTK",  "MTK",  "L4SL", "LPA", "SSA", "GT", "TPA", "BARREY", "ODHA"};
  ASSERT_EQ(parameterCatalogue().size(), std::size(expected));
  for (std::size_t i = 0; i < std::size(expected); ++i) {
    EXPECT_EQ(parameterCatalogue()[i].key, expected[i]);
    EXPECT_EQ(parameterFromKey(expected[i]), parameterCatalogue()[i].id);
  }
}

TEST(ParameterCatalogue, EveryParameterNamesDistinctLandmarksAndASaneRange) {
  std::set<LandmarkId> used;
  for (const auto& info : parameterCatalogue()) {
    SCOPED_TRACE(std::string(info.key));
    EXPECT_GE(info.landmarks.size(), 2U);
    const std::set<LandmarkId> unique(info.landmarks.begin(), info.landmarks.end());
    EXPECT_EQ(unique.size(), info.landmarks.size());
    used.insert(unique.begin(), unique.end());
    EXPECT_LT(info.plausibleMin, info.paperMean);
    EXPECT_GT(info.plausibleMax, info.paperMean);
    EXPECT_GT(info.paperSd, 0.0);
  }
  // Every one of the 22 specific points is used by some parameter (LANDMARKS.md).
  for (const auto& info : landmarkCatalogue()) {
    if (info.kind == LandmarkKind::BodyCentre) continue;
    EXPECT_EQ(used.count(info.id), 1U) << info.key;
  }
}

TEST(ParameterCatalogue, Units) {
  EXPECT_EQ(unitSymbol(parameterInfo(ParameterId::SVA).unit, true), "mm");
  EXPECT_EQ(unitSymbol(parameterInfo(ParameterId::cSVA).unit, false), "px");
  EXPECT_EQ(unitSymbol(parameterInfo(ParameterId::BARREY).unit, false), "ratio");
  EXPECT_EQ(unitSymbol(parameterInfo(ParameterId::ODHA).unit, true), "deg");
}

}  // namespace
}  // namespace sagitta::core
