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
  firfilter  scipy.signal.firwin(...) + lfilter(taps, 1, x)
  decimate   scipy.signal.decimate(x, q, ftype, zero_phase=False); for streams not starting at a
             multiple of q: lfilter output kept where the absolute index is a multiple of q
  stalta     numpy ports of ObsPy 1.5's C stalta.c / recstalta.c (written from REFERENCE.md; ObsPy
             itself is not packaged in Debian), checked here against ObsPy's published values
  trigger    numpy port of ObsPy 1.5 trigger_onset; coincidence: of coincidence_trigger
  common_mode numpy.median / numpy.mean across channels
Atoms emit float32, so a chain's reference rounds to float32 after every atom, as the chain does.
Inputs are float32 values (dasflow's sample type) stored as float64, so the reference sees exactly
the samples the C++ atom sees; outputs are scipy's float64 result.
"""
import importlib.util
import pathlib
import sys

import numpy as np
import scipy
import scipy.signal as sig

SEED = 20261121
OUT = pathlib.Path(__file__).resolve().parent / "data"
# Spectral atoms (issue 8): one module per atom family, each with
#   cases(write_f64, flow) -> [ {name, pipeline: [atom configs], fs, first_index, input: (n, c) array,
#                                output: (n_out, c_out) array, extra: {key: number or str}} ]
# Each module seeds its own generator, so adding one never changes another's vectors.
SPECTRAL_MODULES = ["golden_spectral", "golden_envelope", "golden_fkfilter", "golden_fir_fft"]


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


# ---- numpy ports of ObsPy 1.5 (REFERENCE.md "STA/LTA", "Trigger", "Coincidence") ----------------
def classic_sta_lta(a, nsta, nlta):
    """stalta.c (OPTIMIZED_VERSION), operation order kept: x += buf - old is x = x + (buf - old)."""
    a = [float(v) for v in a]
    cf = np.zeros(len(a))
    frac = float(nlta) / float(nsta)
    sta = 0.0
    for i in range(nsta):
        sta += a[i] * a[i]
    lta = sta
    for i in range(nsta, nlta):
        buf = a[i] * a[i]
        lta += buf
        sta += buf - a[i - nsta] * a[i - nsta]
    cf[nlta - 1] = sta / lta * frac if lta != 0 else 0.0
    for i in range(nlta, len(a)):
        buf = a[i] * a[i]
        sta += buf - a[i - nsta] * a[i - nsta]
        lta += buf - a[i - nlta] * a[i - nlta]
        cf[i] = sta / lta * frac if lta != 0 else 0.0
    return cf


def recursive_sta_lta(a, nsta, nlta):
    """recstalta.c: the first sample never enters; outputs before nlta are zeroed."""
    a = [float(v) for v in a]
    csta, clta = 1.0 / nsta, 1.0 / nlta
    sta = lta = 0.0
    cf = np.zeros(len(a))
    for i in range(1, len(a)):
        sq = a[i] * a[i]
        sta = csta * sq + (1 - csta) * sta
        lta = clta * sq + (1 - clta) * lta
        cf[i] = sta / lta if lta != 0 else 0.0
    cf[:min(nlta, len(a))] = 0.0
    return cf


def trigger_onset(cf, on, off, max_len=9e99):
    """ObsPy 1.5 trigger_onset (max_len_delete=False): on-candidates are the starts of runs of
    cf >= on, off-candidates the ends of runs of cf >= off; pair each on with the first off at or
    after it, capping at on + max_len; an on before the previous off is skipped."""
    ind1 = np.where(cf >= on)[0]
    if len(ind1) == 0:
        return []
    ind2 = np.where(cf >= off)[0]
    ons = [int(ind1[0])] + [int(v) for v in ind1[1:][np.diff(ind1) > 1]]
    ends = [int(v) for v in ind2[:-1][np.diff(ind2) > 1]] + [int(ind2[-1])]
    offs = [-1] + ends + [int(ind2[-1]), len(cf)]
    picks = []
    while ons and ons[-1] > offs[0]:
        while ons[0] <= offs[0]:
            ons.pop(0)
        while offs[0] < ons[0]:
            offs.pop(0)
        if offs[0] - ons[0] > max_len:
            offs.insert(0, ons[0] + max_len)
        picks.append((ons[0], offs[0]))
    return picks


def stream_triggers(cf, on, off, max_len, channel):
    """trigger_onset picks as a stream emits them: not the event still open at the end of data."""
    out = []
    n = len(cf)
    for a, b in trigger_onset(cf, on, off, max_len if max_len else 9e99):
        capped = bool(max_len) and b == a + max_len
        if b >= n - 1 and not capped:
            continue  # still open: a stream keeps it in its state
        seg = cf[a:b + 1]
        k = int(np.argmax(seg))
        out.append((channel, a, b, float(seg[k]), a + k))
    return out


def coincidence(events, min_channels, window):
    """ObsPy coincidence_trigger with unit weights over (channel, on, off, peak, peak_index)."""
    trig = sorted(events, key=lambda e: (e[1], e[2], e[0]))
    out = []
    last_off = None
    while trig:
        ch, on, off, peak, peak_i = trig.pop(0)
        chans = [ch]
        for c2, on2, off2, p2, pi2 in trig:
            if c2 in chans:
                continue
            if on2 > off + window:
                break
            chans.append(c2)
            off = max(off, off2)
            if p2 > peak:
                peak, peak_i = p2, pi2
        if len(chans) < min_channels:
            continue
        if last_off is not None and off <= last_off:
            continue
        out.append((chans[0], on, off, peak, peak_i, len(chans)))
        last_off = off
    return out


def event_rows(triggers=(), groups=()):
    """Rows of [kind, channel, on, off, peak, peak_index, n_channels], kind 0 trigger, 1 coincidence."""
    rows = [[0, c, a, b, p, pi, 1] for c, a, b, p, pi in triggers]
    rows += [[1, c, a, b, p, pi, n] for c, a, b, p, pi, n in groups]
    return rows


def bursts(rng, n, fs, channels):
    """Noise with short bursts at staggered times per channel: inputs that trigger."""
    x = rng.standard_normal((n, channels))
    for c in range(channels):
        for t0 in (0.3 * n, 0.55 * n, 0.8 * n):
            start = int(t0 + 7 * c)
            x[start:start + int(0.2 * fs), c] *= 12.0
    return x.astype(np.float32).astype(np.float64)


def f32(a):
    return np.asarray(a, dtype=np.float64).astype(np.float32).astype(np.float64)


def detection_cases(rng):
    """(name, config list, fs, first_index, input, output, events, check)."""
    cases = []
    fs = 250.0
    x = bursts(rng, 6000, fs, 5)
    for method, port in (("classic", classic_sta_lta), ("recursive", recursive_sta_lta)):
        cf = np.stack([port(x[:, c], int(0.2 * fs), int(2.0 * fs)) for c in range(x.shape[1])], axis=1)
        cases.append((f"stalta_{method}_0.2-2_fs250_c5_n6000", [{"atom": "stalta", "method": method, "sta": 0.2,
                                                                "lta": 2.0}], fs, 0, x, f32(cf), None, "exact"))
    # trigger on float32 cf values (what the atom sees), with and without a length cap
    cf = f32(np.stack([classic_sta_lta(x[:, c], 50, 500) for c in range(x.shape[1])], axis=1))
    for name, max_len_s in (("", 0.0), ("_maxlen0.1", 0.1)):
        max_len = int(max_len_s * fs + 0.5)
        trig = [e for c in range(cf.shape[1]) for e in stream_triggers(cf[:, c], 3.0, 1.5, max_len, c)]
        cfg = {"atom": "trigger", "on_threshold": 3.0, "off_threshold": 1.5}
        if max_len_s:
            cfg["max_length"] = max_len_s
        cases.append((f"trigger_3-1.5{name}_fs250_c5_n6000", [cfg], fs, 0, cf, cf, event_rows(trig), "exact"))
    trig = [e for c in range(cf.shape[1]) for e in stream_triggers(cf[:, c], 3.0, 1.5, 0, c)]
    groups = coincidence(trig, 3, 0.5 * fs)
    cases.append(("coincidence_3ch_0.5s_fs250_c5_n6000",
                  [{"atom": "trigger", "on_threshold": 3.0, "off_threshold": 1.5},
                   {"atom": "coincidence", "min_channels": 3, "window": 0.5}], fs, 0, cf, cf,
                  event_rows(trig, groups), "exact"))

    # decimate: scipy.signal.decimate for streams starting at index 0; the keeping rule otherwise
    y = test_signal(rng, 4000, 1000.0, 4)
    for q in (2, 4, 5):
        ref = sig.decimate(y, q, ftype="fir", zero_phase=False, axis=0)
        cases.append((f"decimate_fir_q{q}_fs1000_c4_n4000", [{"atom": "decimate", "factor": q}], 1000.0, 0, y, ref,
                      None, "rms"))
    ref = sig.decimate(y, 4, ftype="iir", zero_phase=False, axis=0)
    cases.append(("decimate_iir_q4_fs1000_c4_n4000", [{"atom": "decimate", "factor": 4, "ftype": "iir"}], 1000.0, 0,
                  y, ref, None, "rms"))
    first = 1_700_000_000_003  # not a multiple of 4: the first kept sample is row 1
    full = sig.lfilter(sig.firwin(81, 0.25, window="hamming"), [1.0], y, axis=0)
    keep = [(first + i) % 4 == 0 for i in range(len(y))]
    cases.append(("decimate_fir_q4_offset_fs1000_c4_n4000", [{"atom": "decimate", "factor": 4}], 1000.0, first, y,
                  full[keep], None, "rms"))
    # firfilter
    for name, cfg, kw in (
            ("firfilter_lowpass31_hamming_fs100", {"numtaps": 31, "cutoff": [20.0]}, dict(pass_zero=True)),
            ("firfilter_highpass33_blackman_fs100", {"numtaps": 33, "cutoff": [5.0], "btype": "highpass",
                                                     "window": "blackman"}, dict(pass_zero=False, window="blackman")),
            ("firfilter_bandpass64_kaiser_fs100", {"numtaps": 64, "cutoff": [5.0, 15.0], "btype": "bandpass",
                                                   "window": "kaiser", "beta": 8.6},
             dict(pass_zero=False, window=("kaiser", 8.6)))):
        taps = sig.firwin(cfg["numtaps"], cfg["cutoff"], fs=100.0, **kw)
        z = test_signal(rng, 3000, 100.0, 4)
        cases.append((name + "_c4_n3000", [dict({"atom": "firfilter"}, **cfg)], 100.0, 0, z,
                      sig.lfilter(taps, [1.0], z, axis=0), None, "rms"))
    # common-mode removal
    z = test_signal(rng, 2000, 100.0, 7) + rng.standard_normal((2000, 1)).astype(np.float32)
    z = f32(z)
    cases.append(("common_mode_median_c7_n2000", [{"atom": "common_mode"}], 100.0, 0, z,
                  z - np.median(z, axis=1, keepdims=True), None, "rms"))
    z8 = f32(np.concatenate([z, z[:, :1] * 0.5], axis=1))
    cases.append(("common_mode_median_even_c8_n2000", [{"atom": "common_mode"}], 100.0, 0, z8,
                  z8 - np.median(z8, axis=1, keepdims=True), None, "rms"))
    cases.append(("common_mode_mean_c7_n2000", [{"atom": "common_mode", "method": "mean"}], 100.0, 0, z,
                  z - np.mean(z, axis=1, keepdims=True), None, "rms"))
    return cases


def chain_cases():
    """Real data through whole detection chains; float32 between atoms, as the pipeline does."""
    cases = []
    rjob = pathlib.Path(__file__).resolve().parents[3] / "shared/data/real/seismic-obspy/loc_RJOB20050801145719850.z"
    x = f32(np.loadtxt(rjob))[:, None]
    fs = 200.0
    sos = sig.iirfilter(4, [1.0, 20.0], btype="bandpass", ftype="butter", output="sos", fs=fs)
    y = f32(sig.sosfilt(sos, x, axis=0))
    cf = f32(recursive_sta_lta(y[:, 0], int(0.5 * fs), int(10 * fs)))[:, None]
    trig = stream_triggers(cf[:, 0], 3.0, 1.0, 0, 0)
    chain = [{"atom": "iirfilter", "order": 4, "cutoff": [1.0, 20.0], "btype": "bandpass"},
             {"atom": "stalta", "method": "recursive", "sta": 0.5, "lta": 10.0},
             {"atom": "trigger", "on_threshold": 3.0, "off_threshold": 1.0}]
    cases.append(("chain_rjob_bandpass_recstalta_trigger_fs200", chain, fs, 0,
                  ("shared:seismic-obspy/loc_RJOB20050801145719850.z", x), cf, event_rows(trig), "rms"))
    return cases


def optodas_case():
    """decimated_optodas.hdf5 (500 Hz, 51 channels): iirfilter -> decimate 4 -> stalta -> trigger."""
    import h5py
    path = pathlib.Path(__file__).resolve().parents[3] / "shared/data/real/das/decimated_optodas.hdf5"
    with h5py.File(path, "r") as f:
        x = f32(f["data"][...])
    fs = 500.0
    sos = sig.iirfilter(4, [2.0, 40.0], btype="bandpass", ftype="butter", output="sos", fs=fs)
    y = f32(sig.sosfilt(sos, x, axis=0))
    d = f32(sig.decimate(y, 4, ftype="fir", zero_phase=False, axis=0))
    cf = f32(np.stack([classic_sta_lta(d[:, c], int(0.1 * 125), int(1.0 * 125)) for c in range(d.shape[1])], axis=1))
    trig = [e for c in range(cf.shape[1]) for e in stream_triggers(cf[:, c], 2.5, 1.2, 0, c)]
    chain = [{"atom": "iirfilter", "order": 4, "cutoff": [2.0, 40.0], "btype": "bandpass"},
             {"atom": "decimate", "factor": 4},
             {"atom": "stalta", "method": "classic", "sta": 0.1, "lta": 1.0},
             {"atom": "trigger", "on_threshold": 2.5, "off_threshold": 1.2}]
    return ("chain_optodas_bandpass_decimate4_stalta_trigger", chain, fs, 0, ("shared:das/decimated_optodas.hdf5#/data", x),
            cf, event_rows(trig), "rms")


def check_published_obspy_values():
    """ObsPy's documented recursive STA/LTA values (REFERENCE.md) validate the port itself."""
    np.random.seed(815)
    a = np.random.randn(100000)
    cf = recursive_sta_lta(a[:1000], 5, 10)
    want = [0.80810165, 0.75939449, 0.91763978, 0.97465004]
    assert np.allclose(cf[99:103], want, atol=5e-9), cf[99:103]
    return a[:103]


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
        if isinstance(x, tuple):  # a real file from shared/data/real: the test reads it itself
            fin, x = x
        else:
            fin = write_f64(f"{name}.in.f64", x)
        fout = write_f64(f"{name}.out.f64", y)
        lines.append(f"  - {{name: {name}, fs: {fmt(fs)}, n_channels: {ch}, n_samples: {n}, "
                     f"input: {fin}, output: {fout}, config: \"{flow(cfg)}\"}}")
    lines.append("streams:")
    obspy_input = check_published_obspy_values()
    write_f64("obspy_recstalta_seed815_first103.in.f64", obspy_input)
    lines.insert(2, "obspy_recstalta_seed815: {input: obspy_recstalta_seed815_first103.in.f64, sta: 5, lta: 10, "
                    "first: 99, values: [0.80810165, 0.75939449, 0.91763978, 0.97465004]}")
    for name, chain, fs, first, x, y, events, check in detection_cases(rng) + chain_cases() + [optodas_case()]:
        if isinstance(x, tuple):  # a real file from shared/data/real: the test reads it itself
            fin, x = x
        else:
            fin = write_f64(f"{name}.in.f64", x)
        fout = write_f64(f"{name}.out.f64", y)
        fev = write_f64(f"{name}.events.f64", events) if events is not None else ""
        n_events = len(events) if events is not None else -1
        pipe = "[" + ", ".join(flow(c) for c in chain) + "]"
        lines.append(f"  - {{name: {name}, fs: {fmt(fs)}, first_index: {first}, n_channels: {x.shape[1]}, "
                     f"n_samples: {x.shape[0]}, n_out: {y.shape[0]}, input: {fin}, output: {fout}, "
                     f"events: \"{fev}\", n_events: {n_events}, check: {check}, pipeline: \"{pipe}\"}}")
    lines.append("spectral:")
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
    for module in SPECTRAL_MODULES:
        if importlib.util.find_spec(module) is None:
            continue
        for c in importlib.import_module(module).cases(write_f64, flow):
            x, y = np.asarray(c["input"]), np.asarray(c["output"])
            fin = write_f64(f"{c['name']}.in.f64", x)
            fout = write_f64(f"{c['name']}.out.f64", y)
            pipe = "[" + ", ".join(flow(a) for a in c["pipeline"]) + "]"
            extra = "".join(f", {k}: {fmt(v) if isinstance(v, float) else v}" for k, v in c.get("extra", {}).items())
            lines.append(f"  - {{name: {c['name']}, fs: {fmt(c['fs'])}, first_index: {c.get('first_index', 0)}, "
                         f"n_channels: {x.shape[1]}, n_samples: {x.shape[0]}, n_out: {y.shape[0]}, "
                         f"out_channels: {y.shape[1]}, input: {fin}, output: {fout}, pipeline: \"{pipe}\"{extra}}}")
    (OUT / "cases.yaml").write_text("\n".join(lines) + "\n")
    print(f"wrote {len(list(OUT.glob('*.f64')))} vector files to {OUT}")


if __name__ == "__main__":
    main()
