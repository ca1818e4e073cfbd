#pragma once
/// \file detection_chain.hpp
/// The detection chain of config/demo.yaml (band-pass, decimate, STA/LTA, trigger, coincidence)
/// as the `pipeline:` block of a test config: the end-to-end tests that compare interrupted runs
/// with uninterrupted ones use it, because it has state in every kind of atom and emits events.

namespace dasflow::test {

inline constexpr const char* kDetectionChainYaml =
    "pipeline:\n"
    "  - {atom: iirfilter, order: 4, cutoff: [1.0, 20.0], btype: bandpass}\n"
    "  - {atom: decimate, factor: 4}\n"
    "  - {atom: stalta, method: classic, sta: 0.2, lta: 2.0}\n"
    "  - {atom: trigger, on_threshold: 3.0, off_threshold: 1.5}\n"
    "  - {atom: coincidence, min_channels: 5, window: 0.5}\n";

} // namespace dasflow::test
