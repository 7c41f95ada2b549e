"""An independent NumPy reference for what Keras does not have: `same_lower`, explicit
per-side padding, PyTorch's border modes (padding_mode) and strides together with dilation.

It is deliberately naive (loops over every output cell), works in float64 on float32-rounded
weights and inputs, and rounds the result to float32 once, as convc documents. features.py
cross-checks it against Keras wherever Keras has the same feature.
"""
import itertools
import math

import numpy as np

# PyTorch's padding_mode names -> numpy.pad modes:
#   reflect   mirrors without repeating the edge: d c b | a b c d | c b a   (np 'reflect')
#   replicate clamps to the edge:                 a a | a b c d | d d      (np 'edge')
#   circular  wraps around:                       c d | a b c d | a b      (np 'wrap')
NP_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pads_for(L, k, s, d, padding):
    """(before, after) for one axis, per PRODUCT.md."""
    k_eff = d * (k - 1) + 1
    if padding == "valid":
        return (0, 0)
    if padding in ("same", "same_lower"):
        out = math.ceil(L / s)
        total = max(0, (out - 1) * s + k_eff - L)
        small, big = total // 2, total - total // 2
        return (small, big) if padding == "same" else (big, small)
    if padding == "causal":
        return (k_eff - 1, 0)
    return tuple(padding)  # explicit (before, after)


def conv(x, kernel, bias=None, strides=1, dilation=1, padding="valid", mode="zeros",
         groups=1, activation=None):
    """x: (batch, spatial..., cin); kernel: (k..., cin/groups, filters)."""
    x = np.asarray(x, np.float32).astype(np.float64)
    kernel = np.asarray(kernel, np.float32).astype(np.float64)
    nsp = x.ndim - 2
    ks = kernel.shape[:nsp]
    strides = (strides,) * nsp if np.isscalar(strides) else tuple(strides)
    dilation = (dilation,) * nsp if np.isscalar(dilation) else tuple(dilation)
    if isinstance(padding, str):
        padding = [padding] * nsp
    pads = [pads_for(x.shape[1 + i], ks[i], strides[i], dilation[i], padding[i])
            for i in range(nsp)]
    width = [(0, 0)] + list(pads) + [(0, 0)]
    xp = np.pad(x, width, mode=NP_MODE[mode])
    cin = x.shape[-1]
    filters = kernel.shape[-1]
    cpg, fpg = cin // groups, filters // groups
    outs = [(xp.shape[1 + i] - (dilation[i] * (ks[i] - 1) + 1)) // strides[i] + 1
            for i in range(nsp)]
    y = np.zeros((x.shape[0], *outs, filters), np.float64)
    for b in range(x.shape[0]):
        for pos in itertools.product(*[range(o) for o in outs]):
            for f in range(filters):
                g = f // fpg
                acc = 0.0
                for kpos in itertools.product(*[range(k) for k in ks]):
                    idx = tuple(pos[i] * strides[i] + kpos[i] * dilation[i] for i in range(nsp))
                    for c in range(cpg):
                        acc += xp[(b, *idx, g * cpg + c)] * kernel[(*kpos, c, f)]
                if bias is not None:
                    acc += float(np.float32(bias[f]))
                y[(b, *pos, f)] = acc
    y = y.astype(np.float32)
    if activation == "relu":
        y = np.maximum(y, 0)
    return y


def depthwise_kernel(kernel):
    """Keras depthwise (k..., C, m) -> grouped kernel (k..., 1, C*m), groups = C."""
    kernel = np.asarray(kernel, np.float32)
    return kernel.reshape(*kernel.shape[:-2], 1, kernel.shape[-2] * kernel.shape[-1])


def pad_only(x, pads, mode):
    """The padded input, to show in comments."""
    return np.pad(np.asarray(x), [(0, 0)] + list(pads) + [(0, 0)], mode=NP_MODE[mode])
