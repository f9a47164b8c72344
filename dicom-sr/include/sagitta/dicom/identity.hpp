// SPDX-License-Identifier: GPL-3.0-or-later
// What Sagitta writes into its own objects to say who made them, and how an object is known as
// one of them: by what it is (creator and SOP class), never by who stored it. The plugin's loop
// guard reads this; a film that arrives by C-STORE, STOW-RS, REST or another plugin is routed.
#pragma once

#include <string_view>

namespace sagitta::dicom {

inline constexpr const char* kManufacturer = "Sagitta project";
inline constexpr const char* kModelName = "sagitta";

// The SOP classes Sagitta writes: Comprehensive 3D SR, Secondary Capture Image, Encapsulated PDF.
inline constexpr const char* kSrSopClass = "1.2.840.10008.5.1.4.1.1.88.34";
inline constexpr const char* kScSopClass = "1.2.840.10008.5.1.4.1.1.7";
inline constexpr const char* kPdfSopClass = "1.2.840.10008.5.1.4.1.1.104.1";

// True for an object Sagitta wrote (this node or another): Manufacturer is Sagitta's and the SOP
// class is one Sagitta writes.
bool isSagittaOutput(std::string_view manufacturer, std::string_view sopClassUid);

}  // namespace sagitta::dicom
