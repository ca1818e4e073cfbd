#pragma once
/// \file tool_commands.hpp
/// The live-stream subcommands of the `dasflow` tool (DESIGN.md §1): publish a synthetic or
/// replayed interrogator feed in the ASN framing, and subscribe to a feed or to a daemon.

#include <cstdint>
#include <string>
#include <vector>

namespace dasflow::tool {

struct PublishOptions {
  std::string address; ///< --publish (bound XPUB)
  std::size_t channels = 1000;
  double fs_hz = 1000;
  double chunk_s = 0.1;
  double duration_s = 0; ///< 0 = endless
  double start_s = -1;   ///< epoch seconds of the first sample; < 0 = now
  std::uint64_t seed = 1;
  double speed = 1.0;               ///< real-time factor; 0 = as fast as possible
  std::size_t wait_subscribers = 0; ///< hold the data until this many subscribers joined
  double header_every_s = 10.0;
  std::size_t changes_every = 0;  ///< every N messages switch between all and half the channels
  std::int64_t roi_start = 0;     ///< simulate: channel number of column 0 (header roiStart)
  std::int64_t roi_dec = 1;       ///< simulate: channel-number step between columns (roiDec)
  double cycle_s = 0;             ///< simulate: > 0 = generate this many seconds once, then repeat them
  std::vector<std::string> files; ///< replay: one vendor file or a directory of them
};

struct SubOptions {
  std::string address;
  std::string protocol = "dasflow"; ///< dasflow | asn
  std::string topic = "data";
  std::size_t count = 0; ///< 0 = until interrupted
  bool json = false;
  bool dump = false;            ///< with json: the samples themselves ("values", time-major)
  double timeout_s = 0;         ///< 0 = wait forever
  std::string output;           ///< FILE.h5: write what arrives (data) with the hdf5 writer
  std::string curve_server_key; ///< file with the server's public key (first line)
  std::string curve_client_keys;
  double stats_s = 0;  ///< > 0: no line per message; a summary (losses, latency) every stats_s and at exit
  double warmup_s = 0; ///< with stats: messages of the first warmup_s seconds count for losses only
};

/// `dasflow simulate` (files empty) or `dasflow replay`: 0 at the end of a finite stream or on
/// SIGINT/SIGTERM, 1 when the source or the socket fails, 2 for unusable options.
int run_publish(const PublishOptions& options);
/// `dasflow sub`: 0 after --count messages or on SIGINT/SIGTERM, 1 after --timeout of silence or
/// when --output fails, 2 when the socket cannot be set up.
int run_sub(const SubOptions& options);

} // namespace dasflow::tool
