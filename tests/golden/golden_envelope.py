"""Golden vectors for the `envelope` atom (issue 8).

Reference: abs(scipy.signal.hilbert(x)) over the whole record (dB cases: 20 log10 of it / ref). The
atom's output row n is the envelope at input index n - D (D = (numtaps - 1) / 2, a documented
delay), so the C++ test compares out[n] with ref[n - D]. hilbert() is FFT-based, i.e. circular,
and its error near a record's ends decays only as ~0.5 / distance (measured: 4e-4 of RMS 1200
samples in); so the reference is computed on the same signal extended by PAD samples on both sides
and cut to the record the atom sees. The atom starts from zero history: its first 2 D output rows
(`skip`) are its warm-up and are not compared.

Test signals lie inside the FIR transformer's passband, [0.04, 0.46] fs, where the 255-tap
Blackman-windowed transformer's gain is 1 within 3e-5 (scipy.signal.freqz of its taps): AM carriers
and band-limited noise. `tol` is absolute, in units of the envelope's RMS (linear) or in dB.
"""
import numpy as np
import scipy.signal as sig

SEED = 8_2026_12
PAD = 16384


def _bandlimited(rng, n, fs, channels, lo, hi):
    """Noise band-limited to [lo, hi] Hz by a long float64 FIR (so its spectrum ends inside the band)."""
    taps = sig.firwin(801, [lo, hi], pass_zero=False, fs=fs)
    w = rng.standard_normal((n + 800, channels))
    return sig.lfilter(taps, [1.0], w, axis=0)[800:]


def _am(rng, n, fs, channels):
    t = np.arange(n) / fs
    x = np.zeros((n, channels))
    for c in range(channels):
        fc = rng.uniform(100.0, 350.0)
        fm = rng.uniform(1.0, 8.0)
        x[:, c] = (1.0 + 0.5 * np.sin(2 * np.pi * fm * t)) * np.cos(2 * np.pi * fc * t + rng.uniform(0, 6.3))
    return x


def cases(write_f64, flow):
    rng = np.random.default_rng(SEED)
    fs, n = 1000.0, 8192
    out = []
    specs = [
        ("envelope_am_numtaps255", {"atom": "envelope", "db": "false"}, 255, "am"),
        ("envelope_bandnoise_numtaps255", {"atom": "envelope", "db": "false"}, 255, "noise"),
        ("envelope_am_numtaps511", {"atom": "envelope", "db": "false", "numtaps": 511}, 511, "am"),
        ("envelope_db_am_numtaps255", {"atom": "envelope", "db": "true", "ref": 0.5}, 255, "am"),
    ]
    for name, atom, numtaps, kind in specs:
        if kind == "am":
            xl = _am(rng, n + 2 * PAD, fs, 3) * rng.uniform(0.5, 4.0, 3)
        else:
            xl = _bandlimited(rng, n + 2 * PAD, fs, 3, 60.0, 420.0)
        xl = xl.astype(np.float32).astype(np.float64)
        env = np.abs(sig.hilbert(xl, axis=0))[PAD:PAD + n]
        x = xl[PAD:PAD + n]
        db = atom["db"] == "true"
        y = 20 * np.log10(env / atom["ref"]) if db else env
        out.append({"name": f"{name}_fs1000_c3_n{n}", "pipeline": [atom], "fs": fs, "first_index": 1_000_003,
                    "input": x, "output": y,
                    "extra": {"delay": (numtaps - 1) // 2, "skip": numtaps - 1, "tol": 1e-3 if db else 1e-4,
                              "scale": "db" if db else "rms"}})
    return out
