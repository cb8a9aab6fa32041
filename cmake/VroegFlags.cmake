# One INTERFACE target carries the language level, warnings and sanitizer flags, so every
# project target gets the same settings and third-party targets keep theirs.
add_library(vroeg_flags INTERFACE)
add_library(vroeg::flags ALIAS vroeg_flags)
target_compile_features(vroeg_flags INTERFACE cxx_std_20)
target_compile_options(vroeg_flags INTERFACE -Wall -Wextra -Wpedantic -Wshadow
                       -Wnon-virtual-dtor -Wimplicit-fallthrough)
if(VROEG_WERROR)
  target_compile_options(vroeg_flags INTERFACE -Werror)
endif()

set(vroeg_sanitizers "")
if(VROEG_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "VROEG_FUZZ needs clang for libFuzzer: configure with CC=clang CXX=clang++")
  endif()
  if(NOT VROEG_BUILD_TESTS)
    message(FATAL_ERROR "VROEG_FUZZ builds tests/fuzz, which needs VROEG_BUILD_TESTS=ON")
  endif()
  # Coverage instrumentation everywhere, but libFuzzer's main() only in the fuzz targets
  # (tests/fuzz adds -fsanitize=fuzzer to them).
  set(vroeg_sanitizers fuzzer-no-link,address,undefined)
elseif(VROEG_SANITIZE)
  set(vroeg_sanitizers address,undefined)
endif()
if(vroeg_sanitizers)
  target_compile_options(vroeg_flags INTERFACE -fsanitize=${vroeg_sanitizers}
                         -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(vroeg_flags INTERFACE -fsanitize=${vroeg_sanitizers})
endif()
