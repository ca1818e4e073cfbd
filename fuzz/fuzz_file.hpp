#pragma once
/// \file fuzz_file.hpp
/// The file readers take paths: a fuzz input is written to a scratch file (in /dev/shm when
/// there is one, so the disk is not worn) that lives as long as the process.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

#include <unistd.h>

namespace dasflow::fuzz {

class ScratchFile {
public:
  explicit ScratchFile(const std::string& name) {
    namespace fs = std::filesystem;
    const fs::path base = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    dir_ = base / ("dasflow-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    path_ = (dir_ / name).string();
  }
  ~ScratchFile() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  bool write(const std::uint8_t* data, std::size_t size) const {
    std::FILE* f = std::fopen(path_.c_str(), "wb");
    if (!f) return false;
    const bool ok = std::fwrite(data, 1, size, f) == size;
    return std::fclose(f) == 0 && ok;
  }
  const std::string& path() const { return path_; }

private:
  std::filesystem::path dir_;
  std::string path_;
};

} // namespace dasflow::fuzz
