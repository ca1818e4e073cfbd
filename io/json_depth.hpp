#pragma once
/// \file json_depth.hpp
/// A guard for JSON from the network (PROTOCOLS.md §1, §2): nlohmann/json parses without recursion,
/// but its serializer, copy and comparison recurse, so a header of 100k nested `[` overflows the
/// stack as soon as anything dumps it (an error message, a forwarded event). Headers are shallow;
/// the codecs reject deep ones before parsing.

#include <cstddef>
#include <string_view>

namespace dasflow::io::detail {

/// No header of either protocol nests deeper than 3; 32 leaves room for unknown fields.
inline constexpr std::size_t kMaxJsonDepth = 32;

/// Whether `text` nests arrays/objects more than `limit` deep. Exact for valid JSON (brackets inside
/// strings are skipped); for invalid text the parser reports the error anyway.
inline bool nests_deeper_than(std::string_view text, std::size_t limit) noexcept {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i; // the escaped character cannot end the string
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

} // namespace dasflow::io::detail
