#pragma once
/// \file status_report.hpp
/// What the control plane says about a running daemon (DESIGN.md §5): the Prometheus exposition
/// of GET /metrics, the JSON of GET /status, and the one-line STATUS= systemd shows in
/// `systemctl status`. Pure functions of the Runtime's counters, called on the main thread.

#include <chrono>
#include <string>

#include "dasflow/daemon/control_server.hpp"
#include "dasflow/daemon/runtime.hpp"

namespace dasflow::daemon {

/// `GET /metrics`: counters and gauges named dasflow_*, channel-samples as the unit of data.
/// `control` adds the HTTP server's own counters when given.
std::string metrics_text(const Runtime& runtime, const ControlServer* control,
                         std::chrono::steady_clock::time_point started);

/// `GET /status`: the same facts as one JSON object, for people and scripts.
std::string status_json(const Runtime& runtime, std::chrono::steady_clock::time_point started);

/// systemd's STATUS= line: "12000 ch @ 1000 Hz, lag 0.4 s, 3 triggers, checkpoint 4 s ago".
std::string status_line(const Runtime& runtime);

} // namespace dasflow::daemon
