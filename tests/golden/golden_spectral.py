"""Golden cases for `spectrogram` and `fbe` (issue 8), imported by generate.py.

References:
  spectrogram  scipy.signal.spectrogram(x, fs, window, nperseg, noverlap, detrend, mode="psd") per
               channel; row k of the dasflow stream is scipy's segment k, columns frequency-major
               (f * n_channels + c).
  fbe          the same PSD with window "hann", then for each band the sum over the bins with
               f1 <= f < f2 (f2 = fs/2 includes Nyquist) times the bin width fs/n.
A stream starting at absolute index i0 is segmented at multiples of the hop: scipy sees the samples
from the first multiple of the hop at or after i0.
"""
import numpy as np
import scipy.signal as sig

SEED = 8_2026_1121


def signal(rng, n, fs, channels):
    t = np.arange(n) / fs
    x = np.empty((n, channels))
    for c in range(channels):
        f1, f2 = 0.07 * fs * (1 + 0.1 * c), 0.31 * fs
        x[:, c] = (np.sin(2 * np.pi * f1 * t + c) + 0.2 * np.sin(2 * np.pi * f2 * t)
                   + 0.05 * rng.standard_normal(n) + 0.3 * c)
    return x.astype(np.float32).astype(np.float64)


def psd_segments(x, fs, window, nperseg, noverlap, detrend):
    """(n_segments, n_freq, channels) from scipy, channel by channel."""
    per_channel = []
    for c in range(x.shape[1]):
        f, t, p = sig.spectrogram(x[:, c], fs=fs, window=window, nperseg=nperseg, noverlap=noverlap,
                                  detrend=detrend, return_onesided=True, scaling="density", mode="psd")
        per_channel.append(p.T)  # (segments, freq)
    return f, np.stack(per_channel, axis=2)


def skip_to_hop(x, first_index, hop):
    start = -(-first_index // hop) * hop
    return x[start - first_index:], start // hop


def spectrogram_case(rng, name, fs, channels, n, first_index, cfg, window, nperseg, noverlap, detrend):
    x = signal(rng, n, fs, channels)
    xs, k0 = skip_to_hop(x, first_index, nperseg - noverlap)
    _, p = psd_segments(xs, fs, window, nperseg, noverlap, detrend)
    y = p.reshape(p.shape[0], -1)  # frequency-major rows
    return {"name": name, "pipeline": [dict(atom="spectrogram", **cfg)], "fs": fs, "first_index": first_index,
            "input": x, "output": y, "extra": {"out_first_index": k0, "tolerance": 1e-5}}


def fbe_case(rng, name, fs, channels, n, first_index, window_s, overlap, bands, detrend):
    x = signal(rng, n, fs, channels)
    nwin = int(round(window_s * fs))
    hop = nwin - int(round(overlap * nwin))
    xs, k0 = skip_to_hop(x, first_index, hop)
    f, p = psd_segments(xs, fs, "hann", nwin, nwin - hop, "constant" if detrend == "constant" else False)
    df = fs / nwin
    cols = []
    for f1, f2 in bands:
        mask = (f >= f1) & ((f < f2) | ((f2 == fs / 2) & (f == f2)))
        cols.append(p[:, mask, :].sum(axis=1) * df)  # (segments, channels)
    y = np.concatenate(cols, axis=1)
    cfg = {"atom": "fbe", "window": window_s, "overlap": overlap, "bands": bands, "detrend": detrend}
    return {"name": name, "pipeline": [cfg], "fs": fs, "first_index": first_index, "input": x, "output": y,
            "extra": {"out_first_index": k0, "tolerance": 1e-5}}


def cases(write_f64, flow):
    rng = np.random.default_rng(SEED)
    out = [
        spectrogram_case(rng, "spectrogram_default_fs500_c3_n3000", 500.0, 3, 3000, 0, {}, ("tukey", 0.25),
                         256, 32, "constant"),
        spectrogram_case(rng, "spectrogram_hann128_ov64_nodetrend_offset_fs200_c4_n2500", 200.0, 4, 2500, 1000,
                         {"nperseg": 128, "noverlap": 64, "window": "hann", "detrend": "none"}, "hann", 128, 64,
                         False),
        spectrogram_case(rng, "spectrogram_hamming101_ov50_fs250_c2_n2000", 250.0, 2, 2000, 0,
                         {"nperseg": 101, "noverlap": 50, "window": "hamming"}, "hamming", 101, 50, "constant"),
        spectrogram_case(rng, "spectrogram_tukey0.5_512_ov0_fs1000_c5_n6000", 1000.0, 5, 6000, 3,
                         {"nperseg": 512, "noverlap": 0, "alpha": 0.5}, ("tukey", 0.5), 512, 0, "constant"),
        fbe_case(rng, "fbe_optasense_bands_fs1000_c4_n6000", 1000.0, 4, 6000, 0, 0.512, 0.5,
                 [[0.0, 1.0], [1.0, 10.0], [10.0, 50.0], [50.0, 200.0], [200.0, 500.0]], "none"),
        fbe_case(rng, "fbe_demean_ov0.75_offset_fs500_c3_n5000", 500.0, 3, 5000, 777, 0.4, 0.75,
                 [[2.0, 20.0], [20.0, 80.0], [80.0, 250.0]], "constant"),
        fbe_case(rng, "fbe_no_overlap_fs200_c2_n3000", 200.0, 2, 3000, 0, 1.0, 0.0, [[5.0, 15.0]], "none"),
    ]
    return out
