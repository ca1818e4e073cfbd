#!/usr/bin/python3
"""The only producer of dasflow's golden reference data (STYLE.md §9).

Run with Debian's interpreter, which has python3-scipy / python3-numpy:

    /usr/bin/python3 tests/golden/generate.py

It rewrites tests/golden/data/: raw little-endian float64 files named after their parameters and a
manifest, cases.yaml, stamped with the numpy/scipy versions and the seed. The C++ golden tests read
only the manifest and these files; CI never runs this script.

References (shared/REFERENCE.md "Filters"):
  iirfilter  scipy.signal.iirfilter(N, Wn, rp, rs, btype, ftype=..., output="sos", fs=fs) + sosfilt
  sosfilter  scipy.signal.sosfilt(sos, x), zero initial state
  lfilter    scipy.signal.lfilter(b, a, x), zero initial state
Inputs are float32 values (dasflow's sample type) stored as float64, so the reference sees exactly
the samples the C++ atom sees; outputs are scipy's float64 result.
"""
import pathlib
import sys

import numpy as np
import scipy
import scipy.signal as sig

SEED = 20261121
OUT = pathlib.Path(__file__).resolve().parent / "data"


def write_f64(name, array):
    a = np.ascontiguousarray(np.asarray(array, dtype="<f8"))
    (OUT / name).write_bytes(a.tobytes())
    return name


def fmt(v):
    return repr(float(v))


def flow(d):
    """A flow-style YAML mapping with round-trippable numbers (no PyYAML needed)."""
    parts = []
    for k, v in d.items():
        if isinstance(v, (list, tuple)):
            if v and isinstance(v[0], (list, tuple)):
                s = "[" + ", ".join("[" + ", ".join(fmt(x) for x in row) + "]" for row in v) + "]"
            else:
                s = "[" + ", ".join(fmt(x) for x in v) + "]"
        elif isinstance(v, str):
            s = v
        elif isinstance(v, int):
            s = str(v)
        else:
            s = fmt(v)
        parts.append(f"{k}: {s}")
    return "{" + ", ".join(parts) + "}"


# ---- coefficient designs -------------------------------------------------------------------------
def design_table():
    """(ftype, btype, order, cutoff, fs, rp, rs) covering every family and band type."""
    rows = []
    fams = [("butter", None, None), ("cheby1", 0.5, None), ("cheby1", 3.0, None), ("cheby2", None, 40.0),
            ("cheby2", None, 80.0), ("ellip", 0.1, 60.0), ("ellip", 1.0, 40.0)]
    # normalised edges differ per rate, so every row is a different digital filter
    edges = {  # lowpass, highpass, bandstop low, bandstop high (fractions of fs)
        100.0: (0.2, 0.01, 0.1, 0.15), 200.0: (0.05, 0.002, 0.3, 0.45), 500.0: (0.42, 0.1, 0.02, 0.03),
             1000.0: (0.013, 0.0007, 0.25, 0.26), 2000.0: (0.31, 0.04, 0.001, 0.4)}
    for fs, (lp, hp, b1, b2) in edges.items():
        for ftype, rp, rs in fams:
            for order in (1, 2, 3, 4, 5, 8):
                rows.append((ftype, "lowpass", order, [lp * fs], fs, rp, rs))
                rows.append((ftype, "highpass", order, [hp * fs], fs, rp, rs))
                rows.append((ftype, "bandpass", order, sorted([lp * fs, hp * fs]), fs, rp, rs))
                rows.append((ftype, "bandstop", order, [b1 * fs, b2 * fs], fs, rp, rs))
    # the cases REFERENCE.md names, and edges near 0 and Nyquist
    rows.append(("butter", "highpass", 4, [0.5], 1000.0, None, None))
    rows.append(("butter", "highpass", 2, [0.5], 1000.0, None, None))
    rows.append(("butter", "bandpass", 8, [1.0, 20.0], 1000.0, None, None))
    rows.append(("butter", "bandpass", 4, [1.0, 20.0], 200.0, None, None))
    rows.append(("butter", "lowpass", 10, [450.0], 1000.0, None, None))
    rows.append(("cheby1", "bandpass", 6, [0.1, 490.0], 1000.0, 0.1, None))
    rows.append(("ellip", "lowpass", 10, [100.0], 2000.0, 0.1, 80.0))
    rows.append(("ellip", "highpass", 7, [0.05], 50.0, 0.2, 70.0))
    rows.append(("cheby2", "bandstop", 9, [49.0, 51.0], 1000.0, None, 60.0))
    return rows


def design_name(ftype, btype, order, cutoff, fs, rp, rs):
    extra = (f"_rp{rp:g}" if rp is not None else "") + (f"_rs{rs:g}" if rs is not None else "")
    cut = "-".join(f"{c:g}" for c in cutoff)
    return f"{ftype}{order}_{btype}_{cut}_fs{fs:g}{extra}"


def design_config(ftype, btype, order, cutoff, rp, rs):
    cfg = {"atom": "iirfilter", "order": order, "cutoff": cutoff, "btype": btype, "ftype": ftype}
    if rp is not None:
        cfg["rp"] = rp
    if rs is not None:
        cfg["rs"] = rs
    return cfg


def scipy_sos(ftype, btype, order, cutoff, fs, rp, rs):
    wn = cutoff[0] if len(cutoff) == 1 else cutoff
    return sig.iirfilter(order, wn, rp=rp, rs=rs, btype=btype, ftype=ftype, output="sos", fs=fs)


# ---- filtered signals ----------------------------------------------------------------------------
def test_signal(rng, n, fs, channels):
    """Columns cycle through noise, impulses, a step and a sum of sines (as float32 values)."""
    t = np.arange(n) / fs
    x = np.zeros((n, channels))
    for c in range(channels):
        kind = c % 4
        if kind == 0:
            x[:, c] = rng.standard_normal(n) * (1.0 + c)
        elif kind == 1:
            x[rng.integers(0, n, 5), c] = rng.choice([-1.0, 1.0], 5) * 100.0
            x[0, c] = 1.0
        elif kind == 2:
            x[n // 3:, c] = 1.0
            x[2 * n // 3:, c] = -0.5
        else:
            for f in (0.3, 3.0, 0.11 * fs, 0.4 * fs):
                x[:, c] += np.sin(2 * np.pi * f * t + c)
    return x.astype(np.float32).astype(np.float64)


def filter_cases():
    """(name, atom config, fs, channels, samples, reference function)."""
    cases = []

    def iir(name, fs, ch, n, ftype, btype, order, cutoff, rp=None, rs=None):
        cfg = design_config(ftype, btype, order, cutoff, rp, rs)
        sos = scipy_sos(ftype, btype, order, cutoff, fs, rp, rs)
        cases.append((name, cfg, fs, ch, n, lambda x, sos=sos: sig.sosfilt(sos, x, axis=0)))

    iir("iirfilter_butter4_bandpass_1-20_fs200_c8_n4000", 200.0, 8, 4000, "butter", "bandpass", 4, [1.0, 20.0])
    iir("iirfilter_butter4_highpass_0.5_fs1000_c4_n20000", 1000.0, 4, 20000, "butter", "highpass", 4, [0.5])
    iir("iirfilter_butter8_bandpass_1-20_fs1000_c4_n20000", 1000.0, 4, 20000, "butter", "bandpass", 8, [1.0, 20.0])
    iir("iirfilter_butter2_lowpass_10_fs100_c5_n3000", 100.0, 5, 3000, "butter", "lowpass", 2, [10.0])
    iir("iirfilter_cheby1-6_lowpass_40_fs500_c4_n5000_rp1", 500.0, 4, 5000, "cheby1", "lowpass", 6, [40.0], rp=1.0)
    iir("iirfilter_cheby2-5_highpass_10_fs100_c4_n3000_rs40", 100.0, 4, 3000, "cheby2", "highpass", 5, [10.0], rs=40.0)
    iir("iirfilter_ellip4_bandstop_45-55_fs1000_c4_n8000_rp0.5_rs60", 1000.0, 4, 8000, "ellip", "bandstop", 4,
        [45.0, 55.0], rp=0.5, rs=60.0)
    iir("iirfilter_ellip8_lowpass_100_fs2000_c4_n8000_rp0.1_rs80", 2000.0, 4, 8000, "ellip", "lowpass", 8, [100.0],
        rp=0.1, rs=80.0)

    sos = sig.butter(3, [2.0, 30.0], btype="bandpass", output="sos", fs=250.0)
    cases.append(("sosfilter_butter3_bandpass_2-30_fs250_c4_n4000", {"atom": "sosfilter", "sos": sos.tolist()},
                  250.0, 4, 4000, lambda x: sig.sosfilt(sos, x, axis=0)))

    b, a = sig.butter(3, 0.2)
    cases.append(("lfilter_butter3_ba_fs100_c4_n3000", {"atom": "lfilter", "b": b.tolist(), "a": a.tolist()},
                  100.0, 4, 3000, lambda x: sig.lfilter(b, a, x, axis=0)))
    taps = sig.firwin(31, 0.25)
    cases.append(("lfilter_firwin31_fs200_c4_n3000", {"atom": "lfilter", "b": taps.tolist()},
                  200.0, 4, 3000, lambda x: sig.lfilter(taps, [1.0], x, axis=0)))
    # unnormalised a[0] and len(a) > len(b): lfilter divides by a[0] and pads b
    b2, a2 = [0.5, 0.25], [2.0, -1.2, 0.5]
    cases.append(("lfilter_unnormalised_fs100_c4_n2000", {"atom": "lfilter", "b": b2, "a": a2},
                  100.0, 4, 2000, lambda x: sig.lfilter(b2, a2, x, axis=0)))
    return cases


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for f in OUT.glob("*"):
        f.unlink()
    rng = np.random.default_rng(SEED)
    design_rows = []
    lines = [
        "# Generated by tests/golden/generate.py; do not edit.",
        f"generator: {{numpy: '{np.__version__}', scipy: '{scipy.__version__}', "
        f"python: '{sys.version.split()[0]}', seed: {SEED}}}",
        "designs:",
    ]
    for row in design_table():
        ftype, btype, order, cutoff, fs, rp, rs = row
        name = design_name(*row)
        sos = scipy_sos(*row)
        cfg = flow(design_config(ftype, btype, order, cutoff, rp, rs))
        lines.append(f"  - {{name: {name}, fs: {fmt(fs)}, first_row: {len(design_rows)}, n_sections: {sos.shape[0]}, "
                     f"config: \"{cfg}\"}}")
        design_rows.extend(sos.tolist())
    lines.insert(2, f"designs_file: {write_f64('designs.sos.f64', design_rows)}  # all sections, rows of 6")
    lines.append("filters:")
    for name, cfg, fs, ch, n, ref in filter_cases():
        x = test_signal(rng, n, fs, ch)
        y = ref(x)
        fin = write_f64(f"{name}.in.f64", x)
        fout = write_f64(f"{name}.out.f64", y)
        lines.append(f"  - {{name: {name}, fs: {fmt(fs)}, n_channels: {ch}, n_samples: {n}, "
                     f"input: {fin}, output: {fout}, config: \"{flow(cfg)}\"}}")
    (OUT / "cases.yaml").write_text("\n".join(lines) + "\n")
    print(f"wrote {len(list(OUT.glob('*.f64')))} vector files to {OUT}")


if __name__ == "__main__":
    main()
