"""Golden vectors for the FFT overlap-save path of firfilter and decimate (issue 8).

References (shared/REFERENCE.md "Filters"): firfilter = scipy.signal.firwin + lfilter(taps, 1, x);
decimate (fir) = scipy.signal.decimate(x, q, n=numtaps - 1, ftype="fir", zero_phase=False) for a
stream starting at a multiple of q. Long filters (255 ... 1025 taps), where the FFT path is used.
The C++ test compares the rows the atom has emitted (the last, incomplete FFT block is still pending)
with the reference, within `tol` of the reference output's RMS (REFERENCE.md "Accuracy": 1e-5).
"""
import numpy as np
import scipy.signal as sig

SEED = 8_2026_11


def _signal(rng, n, fs, channels, dc=0.0):
    """float32-valued test input: white noise, a few sines, spikes, and an optional DC step."""
    t = np.arange(n) / fs
    x = rng.standard_normal((n, channels))
    for c in range(channels):
        for f in rng.uniform(0.5, 0.45 * fs, 3):
            x[:, c] += rng.uniform(0.5, 3.0) * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
        x[rng.integers(0, n, 3), c] += 25.0
        x[n // 2:, c] += dc * (1 + c)
    return x.astype(np.float32).astype(np.float64)


def cases(write_f64, flow):
    rng = np.random.default_rng(SEED)
    out = []
    fs = 1000.0
    firs = [
        # name, config (without atom/method), firwin kwargs, first_index, n, channels, dc step
        ("fir_fft_lowpass255_hamming", {"numtaps": 255, "cutoff": [50.0]}, dict(pass_zero=True), 1_732_000_000_123,
         6000, 3, 0.0),
        ("fir_fft_highpass255_blackman_dcstep", {"numtaps": 255, "cutoff": [5.0], "btype": "highpass",
                                                 "window": "blackman"},
         dict(pass_zero=False, window="blackman"), 77, 6000, 3, 40.0),
        ("fir_fft_bandpass1025_kaiser", {"numtaps": 1025, "cutoff": [20.0, 80.0], "btype": "bandpass",
                                         "window": "kaiser", "beta": 8.6},
         dict(pass_zero=False, window=("kaiser", 8.6)), 5_000_003, 12000, 3, 0.0),
        ("fir_fft_lowpass2049_hamming", {"numtaps": 2049, "cutoff": [10.0]}, dict(pass_zero=True), 0, 16000, 2, 0.0),
    ]
    for name, cfg, kw, first, n, ch, dc in firs:
        x = _signal(rng, n, fs, ch, dc)
        taps = sig.firwin(cfg["numtaps"], cfg["cutoff"], fs=fs, **kw)
        y = sig.lfilter(taps, [1.0], x, axis=0)
        atom = dict({"atom": "firfilter"}, **cfg, method="fft")
        out.append({"name": f"{name}_fs1000_c{ch}_n{n}", "pipeline": [atom], "fs": fs, "first_index": first,
                    "input": x, "output": y, "extra": {"tol": 1e-5, "factor": 1}})
    # method auto on a long filter: must take the FFT path (and so meet the same bound).
    x = _signal(rng, 5000, fs, 2)
    taps = sig.firwin(511, [100.0], fs=fs)
    out.append({"name": "fir_fft_auto_lowpass511_fs1000_c2_n5000",
                "pipeline": [{"atom": "firfilter", "numtaps": 511, "cutoff": [100.0]}], "fs": fs, "first_index": 9,
                "input": x, "output": sig.lfilter(taps, [1.0], x, axis=0), "extra": {"tol": 1e-5, "factor": 1}})
    for q, numtaps, n in ((4, 1025, 12000), (10, 255, 8000)):
        x = _signal(rng, n, fs, 3)
        y = sig.decimate(x, q, n=numtaps - 1, ftype="fir", zero_phase=False, axis=0)
        out.append({"name": f"fir_fft_decimate_q{q}_numtaps{numtaps}_fs1000_c3_n{n}",
                    "pipeline": [{"atom": "decimate", "factor": q, "numtaps": numtaps, "method": "fft"}], "fs": fs,
                    "first_index": q * 123_457, "input": x, "output": y, "extra": {"tol": 1e-5, "factor": q}})
    return out
