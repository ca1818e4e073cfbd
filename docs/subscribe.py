#!/usr/bin/env python3
"""Subscribe to a dasflowd `zmq` output (PROTOCOLS.md §2) with pyzmq and numpy.

    python3 docs/subscribe.py tcp://127.0.0.1:5556 [N]
"""
import json
import sys

import numpy as np
import zmq

sub = zmq.Context().socket(zmq.SUB)
sub.connect(sys.argv[1])
sub.setsockopt_string(zmq.SUBSCRIBE, "data")  # also "events", "status"
expected = None
for _ in range(int(sys.argv[2]) if len(sys.argv) > 2 else 10**18):
    topic, header, payload = sub.recv_multipart()
    h = json.loads(header)
    block = np.frombuffer(payload, np.float32).reshape(h["n_samples"], h["n_channels"])
    lost = "" if expected is None or h["seq"] == expected else f"  LOST {h['seq'] - expected} messages"
    expected = h["seq"] + 1
    t0 = np.datetime64(h["t0_ns"], "ns")
    print(f"{t0}  {block.shape} @ {h['fs']} Hz  seq {h['seq']}  rms {np.sqrt(np.mean(block**2)):.3g}{lost}")
