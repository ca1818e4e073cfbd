# Interface targets every dasflow target links PRIVATE (cpp-best-practices/cmake_template style).

add_library(dasflow_options INTERFACE)
add_library(dasflow::options ALIAS dasflow_options)
target_compile_features(dasflow_options INTERFACE cxx_std_20)
# Chunked == monolithic and resumed == uninterrupted are bit-for-bit claims, and the references
# (scipy, ObsPy C code) evaluate a*b + c as two roundings: never let the compiler fuse them.
target_compile_options(dasflow_options INTERFACE -ffp-contract=off)

if(DASFLOW_SANITIZE)
  target_compile_options(dasflow_options INTERFACE -fsanitize=${DASFLOW_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(dasflow_options INTERFACE -fsanitize=${DASFLOW_SANITIZE})
  # gcc warns (-Wtsan) that TSan does not model std::atomic_thread_fence, which Asio's headers use;
  # Asio's own synchronisation goes through mutexes TSan sees, so the warning is noise to -Werror.
  if(DASFLOW_SANITIZE MATCHES "thread" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(dasflow_options INTERFACE -Wno-tsan)
  endif()
  # gcc's -Wmaybe-uninitialized depends on the optimiser's view of the code, and the sanitizers'
  # instrumentation at -O1 makes it report moves of fully initialised std::optional<StreamInfo>
  # (gcc bug 105562 and kin). The Release build keeps the warning as an error.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(dasflow_options INTERFACE -Wno-maybe-uninitialized)
  endif()
endif()

# Fuzzing (fuzz/): every dasflow object gets libFuzzer's coverage instrumentation; the fuzz targets
# link the fuzzer's main.
if(DASFLOW_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "DASFLOW_FUZZ needs clang (libFuzzer): configure with CC=clang CXX=clang++")
  endif()
  target_compile_options(dasflow_options INTERFACE -fsanitize=fuzzer-no-link)
endif()

add_library(dasflow_warnings INTERFACE)
add_library(dasflow::warnings ALIAS dasflow_warnings)
target_compile_options(dasflow_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                                  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
                                                  -Woverloaded-virtual)
if(DASFLOW_WARNINGS_AS_ERRORS)
  target_compile_options(dasflow_warnings INTERFACE -Werror)
endif()
