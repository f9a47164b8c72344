// SPDX-License-Identifier: GPL-3.0-or-later
// Writing phantom cases to disk in the three modes of `sagitta phantom`.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>

#include "sagitta/phantom/generator.hpp"

namespace sagitta::cli {

enum class OutputKind { Dicom, Png, Optical };
std::optional<OutputKind> outputKindFromKey(std::string_view key);

// case_NNNNNN.{dcm|png|jpg} and case_NNNNNN.json in dir.
void writeCase(const phantom::PhantomCase& phantomCase, OutputKind kind, const std::filesystem::path& dir);

// A labelled thumbnail (windowed film) of the given height, for contact sheets.
// The film cut to a field of view (field_of_view.hpp; "mixed" takes the kinds in turn by
// index), as PNG with a landmarks JSON of the cut (the landmarks on it, calibrated).
void writeCutCase(const phantom::PhantomCase& c, const std::string& field, const std::filesystem::path& dir);

cv::Mat thumbnail(const phantom::PhantomCase& phantomCase, int height);
void writeContactSheet(const std::vector<cv::Mat>& thumbnails, const std::string& path);

}  // namespace sagitta::cli
