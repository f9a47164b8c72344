// SPDX-License-Identifier: GPL-3.0-or-later
// The teleradiology input: the film photographed from a monitor or light box by a phone, or
// captured as a screenshot (seeds/004): perspective, rotation 1-5 deg, moire, glare, uneven
// light, blur, noise, JPEG, cropping; 600-1384 px on the long side. Every vertebral body keeps
// its polygon in photo coordinates.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "sagitta/phantom/generator.hpp"

namespace sagitta::phantom {

struct Photo {
  cv::Mat image;          // CV_8UC3 (BGR)
  int jpegQuality = 85;
  std::string kind;       // "monitor", "lightbox" or "screenshot"
  cv::Matx33d homography; // film pixel (DICOM coordinates) -> photo pixel (DICOM coordinates)
  std::map<std::string, std::vector<cv::Point2d>> vertebrae;  // visible bodies, photo pixels
};

Photo photograph(const PhantomCase& phantomCase);

// Mask truth: image size, kind, homography, per-vertebra polygon and class, the landmarks in
// photo pixels (uncalibrated) and the seeds/004 angles (TK T5-T12, LL L1-L5, SS) of the film.
std::string opticalTruthToJson(const PhantomCase& phantomCase, const Photo& photo);

}  // namespace sagitta::phantom
