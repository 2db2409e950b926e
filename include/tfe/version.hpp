// tfe/version.hpp: the one place the version is written. CMakeLists.txt reads these three macros
// (project(VERSION), the package version file); tfe::version is the same as a string.
#pragma once

#define TFE_VERSION_MAJOR 0
#define TFE_VERSION_MINOR 1
#define TFE_VERSION_PATCH 0

#define TFE_DETAIL_STR2(x) #x
#define TFE_DETAIL_STR(x) TFE_DETAIL_STR2(x)

namespace tfe {

/// "MAJOR.MINOR.PATCH".
inline constexpr const char* version =
    TFE_DETAIL_STR(TFE_VERSION_MAJOR) "." TFE_DETAIL_STR(TFE_VERSION_MINOR) "." TFE_DETAIL_STR(TFE_VERSION_PATCH);

}  // namespace tfe
