"""Golden vectors for `fkfilter` (issue 8), imported by generate.py (SPECTRAL_MODULES).

An independent numpy reference of the definition in include/dasflow/atoms/fk_filter.hpp and
fk_mask.hpp, computed in float64 on the whole array at once:
  * blocks of W = 2·round(window·fs/2) samples at hop H = W/2 on the absolute-index grid
    [b·H, b·H + W), only blocks wholly inside the stream, b0 = ceil(first_index / H);
  * periodic Hann window, np.fft.rfft2 / irfft2 with s = (W, Nk), Nk the smallest 2·3·5·7-smooth
    integer ≥ ceil(pad · n_channels) (zero padding along distance);
  * fan mask from |f| = |np.fft.fftfreq(W, 1/fs)|, |k| = np.fft.rfftfreq(Nk, dx), v = |f|/|k|, k = 0 → v = ∞,
    cosine ramps outside [vmin, vmax] over a fraction `taper` of each edge velocity;
  * overlap-add of every block, output rows [(b0 + 1)·H, (b_last + 1)·H).
Extra keys per case: dx_m and step (the stream's channel coordinates; spacing = dx_m · step).
"""
import math

import numpy as np

SEED = 8_2026_11


def smooth_length(n_channels, pad):
    n = max(1, math.ceil(pad * n_channels))
    while True:
        r = n
        for p in (2, 3, 5, 7):
            while r % p == 0:
                r //= p
        if r == 1:
            return n
        n += 1


def velocity_gain(v, vmin, vmax, taper, mode):
    g = np.zeros_like(v)
    g[(v >= vmin) & (v <= vmax)] = 1.0
    lo = vmin * (1.0 - taper)
    ramp = (v > lo) & (v < vmin)
    g[ramp] = 0.5 * (1.0 - np.cos(np.pi * (v[ramp] - lo) / (taper * vmin)))
    if np.isfinite(vmax):
        ramp = (v > vmax) & (v < vmax * (1.0 + taper))
        g[ramp] = 0.5 * (1.0 + np.cos(np.pi * (v[ramp] - vmax) / (taper * vmax)))
    return g if mode == "pass" else 1.0 - g


def fk_reference(x, first, fs, dx, vmin, vmax, window, taper, mode, pad):
    n, c = x.shape
    w = 2 * int(math.floor(window * fs / 2 + 0.5))  # std::round: half away from zero
    h = w // 2
    nk = smooth_length(c, pad)
    win = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(w) / w)
    f = np.abs(np.fft.fftfreq(w, 1.0 / fs))[:, None]
    k = np.fft.rfftfreq(nk, dx)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.broadcast_to(f, (w, k.size)) / k
    v[:, 0] = np.inf
    mask = velocity_gain(v, vmin, vmax, taper, mode)
    b0 = -(-first // h)
    blocks = [b for b in range(b0, (first + n) // h + 1) if b * h + w <= first + n]
    acc = np.zeros((n, c))
    for b in blocks:
        i = b * h - first
        spec = np.fft.rfft2(x[i:i + w] * win[:, None], s=(w, nk))
        acc[i:i + w] += np.fft.irfft2(spec * mask, s=(w, nk))[:, :c]
    start = (b0 + 1) * h - first
    stop = (blocks[-1] + 1) * h - first
    return acc[start:stop], w


def plane_waves(rng, n, c, fs, dx, waves):
    """Noise plus band-limited plane waves (velocity m/s, centre frequency Hz, amplitude), float32 values."""
    t = np.arange(n)[:, None] / fs
    xpos = np.arange(c)[None, :] * dx
    x = 0.3 * rng.standard_normal((n, c))
    for vel, f0, amp in waves:
        tau = t - xpos / vel - 0.3 * n / fs
        x += amp * np.cos(2 * np.pi * f0 * tau) * np.exp(-((tau * f0 / 3.0) ** 2) * 0.05)
    return x.astype(np.float32).astype(np.float64)


def cases(write_f64, flow):
    rng = np.random.default_rng(SEED)
    table = [
        # name, fs, n, channels, dx_m, step, first_index, config, waves
        ("fkfilter_pass_500-3000_taper0.2_w0.128_fs500_c24_dx4_pad2", 500.0, 1200, 24, 2.0, 2, 1_732_000_000_013,
         {"vmin": 500.0, "vmax": 3000.0, "window": 0.128, "taper": 0.2, "mode": "pass", "pad": 2.0},
         [(300.0, 40.0, 2.0), (1500.0, 25.0, 1.0)]),
        ("fkfilter_reject_800-inf_taper0.1_w0.1_fs400_c17_dx5_pad1_neg", 400.0, 900, 17, 5.0, 1, -7,
         {"vmin": 800.0, "window": 0.1, "taper": 0.1, "mode": "reject", "pad": 1.0},
         [(200.0, 20.0, 1.5), (5000.0, 30.0, 1.0)]),
        ("fkfilter_pass_100-900_taper0_w0.05_fs1000_c10_dx1.3_pad1.5", 1000.0, 700, 10, 1.3, 1, 1_732_000_000_003,
         {"vmin": 100.0, "vmax": 900.0, "window": 0.05, "taper": 0.0, "mode": "pass", "pad": 1.5},
         [(50.0, 60.0, 1.0), (400.0, 80.0, 1.0)]),
    ]
    out = []
    for name, fs, n, c, dx_m, step, first, cfg, waves in table:
        dx = dx_m * step
        x = plane_waves(rng, n, c, fs, dx, waves)
        y, w = fk_reference(x, first, fs, dx, cfg["vmin"], cfg.get("vmax", np.inf), cfg["window"], cfg["taper"],
                            cfg["mode"], cfg["pad"])
        out.append({"name": name, "pipeline": [{"atom": "fkfilter", **cfg}], "fs": fs, "first_index": first,
                    "input": x, "output": y, "extra": {"dx_m": dx_m, "step": step, "window_samples": w}})
    return out
