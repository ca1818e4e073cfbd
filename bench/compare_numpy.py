#!/usr/bin/python3
"""The numpy/scipy side of bench/compare.sh: the same chained pipeline dasflow runs, written the way
a skilled Python user would write it for a file too large to hold in memory.

- The input (a PRODML 2.x file, /Acquisition/Raw[0]/RawData, time x locus, float32) is read in
  chunks of `--chunk` seconds with h5py.
- Each chunk is split into channel blocks, processed by a ThreadPoolExecutor of `--threads`
  workers, as xdas spreads channels over threads (scipy's sosfilt and lfilter release the GIL while
  they filter; `--gil-check` shows it). Every block carries its own filter state from chunk to
  chunk (sosfilt zi, lfilter zi), so the result is that of one call on the whole stream.
- The chain is read from the same pipeline YAML dasflow runs (`--pipeline`), and only the atoms of
  the benchmark are accepted: iirfilter (butter) -> decimate (fir, numtaps) -> stalta (recursive).
  Semantics as ../shared/REFERENCE.md: sos from scipy.signal.iirfilter(..., output="sos", fs=fs);
  FIR decimation = lfilter(firwin(numtaps, 1/q, window="hamming"), 1, x) kept at absolute indices
  i % q == 0, as scipy.signal.decimate does (`--fir upfirdn` computes only the kept outputs, with
  scipy.signal.upfirdn over the previous inputs and the chunk); ObsPy's recursive STA/LTA (the
  stream's first sample never enters, outputs at stream positions < nlta are 0) with its two
  exponential averages as lfilter([c], [1, c - 1], a**2, zi).
- The characteristic function is written to `--output` (PRODML-like RawData, float32), so the work
  includes writing as dasflow's does.

`--check DIR` then compares that output with the files dasflow wrote to DIR (PRODML, matched by
absolute index) and prints the largest differences.
"""

import argparse
import glob
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import h5py
import numpy as np
import scipy.signal as sg
import yaml


def load_chain(path, fs):
    """The benchmark chain from the pipeline YAML (a list of atoms), with its designed filters."""
    with open(path) as f:
        atoms = yaml.safe_load(f)
    if isinstance(atoms, dict) and "pipeline" in atoms:
        atoms = atoms["pipeline"]
    names = [a.get("atom") for a in atoms]
    if names[:3] != ["iirfilter", "decimate", "stalta"] or any(n != "trigger" for n in names[3:]):
        sys.exit(f"{path}: this benchmark implements iirfilter -> decimate -> stalta [-> trigger], got {names}")
    iir, dec, sta = atoms[0], atoms[1], atoms[2]
    if iir.get("ftype", "butter") != "butter":
        sys.exit("iirfilter: only ftype butter here")
    if dec.get("ftype", "fir") != "fir" or "numtaps" not in dec:
        sys.exit("decimate: ftype fir with an explicit numtaps here")
    if sta.get("method") != "recursive":
        sys.exit("stalta: only method recursive here")
    q = int(dec["factor"])
    fs_dec = fs / q
    chain = {
        "sos": sg.iirfilter(int(iir["order"]), iir["cutoff"], btype=iir.get("btype", "bandpass"), ftype="butter",
                            output="sos", fs=fs),
        "q": q,
        "taps": sg.firwin(int(dec["numtaps"]), 1.0 / q, window="hamming"),
        "nsta": int(float(sta["sta"]) * fs_dec),
        "nlta": int(float(sta["lta"]) * fs_dec),
        "names": names,
        "fir": "lfilter",
    }
    return chain


class Block:
    """One block of channels and the state it carries from chunk to chunk."""

    def __init__(self, chain, c0, c1):
        n = c1 - c0
        self.c0, self.c1 = c0, c1
        self.zi_sos = np.zeros((chain["sos"].shape[0], 2, n))  # axis 0 is time
        self.zi_fir = np.zeros((len(chain["taps"]) - 1, n))
        self.tail = np.zeros((len(chain["taps"]) - 1 + chain["q"], n))  # --fir upfirdn: the last inputs
        self.zi_sta = np.zeros((1, n))
        self.zi_lta = np.zeros((1, n))


def process_block(chain, blk, x, keep_from, n_dec_before, out):
    """x: (rows, channels of the block) float32, time-major; writes the block's columns of `out`."""
    y, blk.zi_sos = sg.sosfilt(chain["sos"], x, axis=0, zi=blk.zi_sos)
    q = chain["q"]
    if chain["fir"] == "lfilter":  # scipy.signal.decimate's way: every output, then keep 1 in q
        y, blk.zi_fir = sg.lfilter(chain["taps"], 1.0, y, axis=0, zi=blk.zi_fir)
        a = y[keep_from::q]
    else:  # upfirdn: only the kept outputs, the previous inputs prepended so the grid lines up
        n_taps = len(chain["taps"])
        lead = n_taps - 1 + (-(n_taps - 1 + keep_from)) % q
        ext = np.concatenate([blk.tail[blk.tail.shape[0] - lead:], y])
        keep = blk.tail.shape[0]
        blk.tail = ext[-keep:] if ext.shape[0] >= keep else np.concatenate([blk.tail[ext.shape[0]:], ext])
        first = (lead + keep_from) // q
        n_keep = len(range(keep_from, y.shape[0], q))
        a = sg.upfirdn(chain["taps"], ext, down=q, axis=0)[first:first + n_keep]
    if a.shape[0] == 0:
        return
    sq = a * a
    if n_dec_before == 0:
        sq[0] = 0.0  # recstalta: the first sample of the stream never enters
    csta, clta = 1.0 / chain["nsta"], 1.0 / chain["nlta"]
    sta, blk.zi_sta = sg.lfilter([csta], [1.0, csta - 1.0], sq, axis=0, zi=blk.zi_sta)
    lta, blk.zi_lta = sg.lfilter([clta], [1.0, clta - 1.0], sq, axis=0, zi=blk.zi_lta)
    cf = np.divide(sta, lta, out=np.zeros_like(sta), where=lta != 0)
    warm = chain["nlta"] - n_dec_before  # stream positions < nlta are 0
    if warm > 0:
        cf[:warm] = 0.0
    out[:, blk.c0:blk.c1] = cf


def raw_dataset(f):
    return f["Acquisition/Raw[0]/RawData"]


def first_index(f, fs):
    """Absolute index (samples since the epoch) of the file's first row, from RawDataTime (µs)."""
    t_us = int(f["Acquisition/Raw[0]/RawDataTime"][0])
    return int(round(t_us * fs / 1e6))


def run(args):
    t_start = time.perf_counter()
    fin = h5py.File(args.input, "r")
    raw = raw_dataset(fin)
    fs = float(fin["Acquisition/Raw[0]"].attrs["OutputDataRate"])
    n_rows, n_ch = raw.shape
    idx0 = first_index(fin, fs)
    chain = load_chain(args.pipeline, fs)
    chain["fir"] = args.fir
    q = chain["q"]
    chunk = max(1, int(round(args.chunk * fs)))
    n_blocks = max(args.threads, -(-n_ch // args.block))
    edges = np.linspace(0, n_ch, n_blocks + 1).astype(int)
    blocks = [Block(chain, edges[i], edges[i + 1]) for i in range(n_blocks)]

    first_kept = (-idx0) % q  # first row whose absolute index is a multiple of q
    n_out = max(0, -(-(n_rows - first_kept) // q))
    fout = h5py.File(args.output, "w")
    grp = fout.create_group("Acquisition/Raw[0]")
    grp.attrs["OutputDataRate"] = fs / q
    dout = grp.create_dataset("RawData", (n_out, n_ch), dtype="f4", chunks=(max(1, chunk // q), n_ch))
    dout.attrs["StartIndex"] = (idx0 + first_kept) // q

    pool = ThreadPoolExecutor(args.threads) if args.threads > 1 else None
    n_dec = 0
    for r0 in range(0, n_rows, chunk):
        r1 = min(n_rows, r0 + chunk)
        x = raw[r0:r1]  # float32, time-major
        keep_from = (-(idx0 + r0)) % q
        n_keep = max(0, -(-(r1 - r0 - keep_from) // q))
        cf = np.empty((n_keep, n_ch), dtype=np.float32)
        jobs = [(chain, b, x[:, b.c0:b.c1], keep_from, n_dec, cf) for b in blocks]
        if pool:
            for fut in [pool.submit(process_block, *j) for j in jobs]:
                fut.result()
        else:
            for j in jobs:
                process_block(*j)
        dout[n_dec:n_dec + n_keep] = cf
        n_dec += n_keep
    if pool:
        pool.shutdown()
    fout.close()
    fin.close()
    wall = time.perf_counter() - t_start
    result = {"threads": args.threads, "fir": args.fir, "blocks": n_blocks, "channels": n_ch, "rows": n_rows, "wall_s": wall,
              "channel_samples_per_s": n_rows * n_ch / wall, "out_rows": n_dec}
    print(json.dumps(result))


def check(args):
    """Max differences between our output and dasflow's PRODML files (matched by absolute index)."""
    with h5py.File(args.output, "r") as f:
        ours = f["Acquisition/Raw[0]/RawData"][...]
        ours_first = int(f["Acquisition/Raw[0]/RawData"].attrs["StartIndex"])
    parts = []
    for path in sorted(glob.glob(os.path.join(args.check, "*.h5"))):
        with h5py.File(path, "r") as f:
            d = f["Acquisition/Raw[0]/RawData"]
            parts.append((int(d.attrs["StartIndex"]), d[...]))
    if not parts:
        sys.exit(f"--check: no .h5 files in {args.check}")
    parts.sort(key=lambda p: p[0])
    theirs_first = parts[0][0]
    theirs = np.concatenate([p[1] for p in parts])
    expected_next = theirs_first
    for start, data in parts:  # one contiguous record, or the comparison would misalign
        if start != expected_next:
            sys.exit(f"--check: dasflow's files are not contiguous (row at index {start}, expected {expected_next})")
        expected_next += data.shape[0]
    lo = max(ours_first, theirs_first)
    hi = min(ours_first + ours.shape[0], theirs_first + theirs.shape[0])
    a = ours[lo - ours_first:hi - ours_first].astype(np.float64)
    b = theirs[lo - theirs_first:hi - theirs_first].astype(np.float64)
    err = np.abs(a - b)
    scale = np.abs(b)
    big = scale > 1e-3 * max(1e-30, float(np.sqrt(np.mean(b * b))))
    rel = err[big] / scale[big]
    result = {
        "compared_rows": int(hi - lo), "ours_rows": int(ours.shape[0]), "dasflow_rows": int(theirs.shape[0]),
        "channels": int(a.shape[1]) if a.ndim == 2 else 0,
        "max_abs_error": float(err.max()) if err.size else None,
        "max_rel_error": float(rel.max()) if rel.size else None,
        "rms_rel_error": float(np.sqrt(np.mean(rel * rel))) if rel.size else None,
        "cf_max": float(scale.max()) if scale.size else None,
        "zero_rows_agree": bool(np.array_equal(a == 0, b == 0)),
    }
    print(json.dumps(result))
    if hi <= lo or ours.shape[0] != theirs.shape[0] or not (result["max_rel_error"] or 0) < args.tolerance:
        sys.exit(1)


def gil_check():
    """Does a pure-Python thread run while sosfilt/lfilter filter? It cannot if they hold the GIL.
    The counter is sampled with time.sleep(0) so it yields at once; compare the Python loop, which
    holds the GIL and lets the counter in only at the interpreter's switch interval (5 ms)."""
    sos = sg.iirfilter(4, [1, 20], btype="bandpass", output="sos", fs=1000)
    taps = sg.firwin(32, 0.25, window="hamming")
    x = np.random.default_rng(1).standard_normal((1000, 4000)).astype(np.float32)

    def py_loop():
        s = 0
        for i in range(2_000_000):
            s += i

    cases = [("sosfilt", lambda: sg.sosfilt(sos, x, axis=0)),
             ("lfilter (FIR)", lambda: sg.lfilter(taps, 1.0, x, axis=0)),
             ("pure-Python loop", py_loop)]
    out = {}
    for name, f in cases:
        ticks, stop = [0], [False]

        def counter():
            while not stop[0]:
                ticks[0] += 1
                time.sleep(0)

        th = threading.Thread(target=counter)
        th.start()
        time.sleep(0.02)
        n0, t0 = ticks[0], time.perf_counter()
        f()
        dt, n = time.perf_counter() - t0, ticks[0] - n0
        stop[0] = True
        th.join()
        out[name] = {"call_s": round(dt, 3), "other_thread_steps_per_s": round(n / dt)}
    print(json.dumps({"gil_check": out}))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", nargs="?", help="PRODML input file")
    p.add_argument("--pipeline", help="the pipeline YAML dasflow runs")
    p.add_argument("--output", help="where the characteristic function goes (HDF5)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--block", type=int, default=1250, help="at most this many channels per task")
    p.add_argument("--chunk", type=float, default=1.0, help="seconds per read")
    p.add_argument("--fir", choices=["lfilter", "upfirdn"], default="lfilter",
                   help="decimation FIR: lfilter (every output, as scipy.signal.decimate) or upfirdn (kept ones only)")
    p.add_argument("--check", metavar="DIR", help="compare --output with dasflow's PRODML files in DIR")
    p.add_argument("--tolerance", type=float, default=1e-4, help="largest relative error --check accepts")
    p.add_argument("--gil-check", action="store_true", help="show whether sosfilt/lfilter release the GIL")
    args = p.parse_args()
    if args.gil_check:
        gil_check()
    elif args.check:
        check(args)
    else:
        if not (args.input and args.pipeline and args.output):
            p.error("input, --pipeline and --output are required")
        run(args)


if __name__ == "__main__":
    main()
