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
cv::Mat thumbnail(const phantom::PhantomCase& phantomCase, int height);
void writeContactSheet(const std::vector<cv::Mat>& thumbnails, const std::string& path);

}  // namespace sagitta::cli
