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
if(VROEG_SANITIZE)
  target_compile_options(vroeg_flags INTERFACE -fsanitize=address,undefined
                         -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(vroeg_flags INTERFACE -fsanitize=address,undefined)
endif()
