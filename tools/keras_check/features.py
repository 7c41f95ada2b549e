"""Expected values of the feature specs (specs/features), computed with Keras 3 where Keras has
the feature and with ref.py (cross-checked against Keras) where it does not.

Run: KERAS_BACKEND=jax /work/kvenv/bin/python features.py [SPEC_NAME ...]
It prints, for each spec, the `expect` statements to paste into specs/features/<name>.conv.
"""
import sys

import numpy as np

import ref
from common import f32, kernel_from_filters, keras, run, show, toml_data

L = keras.layers
SPECS = {}


def spec(fn):
    SPECS[fn.__name__] = fn
    return fn


def close(a, b, tol=1e-5):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    assert np.allclose(a, b, atol=tol, rtol=0), (a, b)


def image(rows):
    """A 2-D single-channel image (1, r, c, 1) from rows."""
    a = f32(rows)
    return a.reshape(1, *a.shape, 1)


def signal(values, channels=1):
    a = f32(values)
    return a.reshape(1, -1, channels)


# --------------------------------------------------------------------------------------------
@spec
def multiple_filters():
    x = image([[1, 2, 0, 1], [0, 1, 3, 2], [2, 0, 1, 1], [1, 3, 0, 2]])
    fa = f32([[1, 0], [0, 1]])
    fb = f32([[1, 1], [1, 1]])
    fc = f32([[1, -1], [1, -1]])
    k = kernel_from_filters([fa[..., None], fb[..., None], fc[..., None]])
    y = run(L.Conv2D(3, 2), x, weights=[k, [0, -4, 1]])
    close(y, ref.conv(x, k, [0, -4, 1]))
    show("three", y)
    show("same_three", y)


@spec
def rgb():
    r = f32([[1, 2, 3, 4], [2, 3, 4, 5], [3, 4, 5, 6], [4, 5, 6, 7]])
    g = f32([[0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 1, 1]])
    b = f32([[2, 0, 0, 2], [0, 2, 2, 0], [0, 2, 2, 0], [2, 0, 0, 2]])
    x = np.stack([r, g, b], axis=-1)[None]
    sobel_x = f32([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    zeros = np.zeros((3, 3), np.float32)
    ones = np.ones((3, 3), np.float32)
    centre = f32([[0, 0, 0], [0, 1, 0], [0, 0, 0]])
    # filter 0: sobel_x on red only; filter 1: green box sum minus blue centre
    f0 = np.stack([sobel_x, zeros, zeros], axis=-1)
    f1 = np.stack([zeros, ones, -centre], axis=-1)
    # filter 2: the average brightness (1/3 of each channel's centre pixel) ... keep integers:
    f2 = np.stack([centre, centre, centre], axis=-1)
    k = kernel_from_filters([f0, f1, f2])
    y = run(L.Conv2D(3, 3), x, weights=[k, [0, 0, 0]])
    close(y, ref.conv(x, k))
    show("colour", y)


@spec
def stacked_relu():
    x = image([[1, 0, 2, 1, 0], [0, 3, 1, 0, 2], [2, 1, 0, 1, 1], [1, 0, 1, 3, 0], [0, 2, 1, 0, 1]])
    lap = f32([[0, 1, 0], [1, -4, 1], [0, 1, 0]])
    k1 = kernel_from_filters([lap[..., None], -lap[..., None]])
    y1 = run(L.Conv2D(2, 3, activation="relu"), x, weights=[k1, [0, 0]])
    show("first", y1)
    # second layer: 2x2 over the two maps: channel 0 weights [1 1 / 1 1], channel 1 [1 0 / 0 -1]
    f = np.stack([f32([[1, 1], [1, 1]]), f32([[1, 0], [0, -1]])], axis=-1)
    k2 = kernel_from_filters([f])
    y2 = run(L.Conv2D(1, 2, activation="relu"), y1, weights=[k2, [-6]])
    y2_lin = run(L.Conv2D(1, 2), y1, weights=[k2, [-6]])
    print("# second before relu:", y2_lin.ravel())
    show("second", y2)


@spec
def padding_valid():
    x = signal([1, 2, 3, 4, 5, 6])
    for name, w in [("k2", [1, 10]), ("k3", [1, 10, 100]),
                    ("k6", [1, 10, 100, 1000, 10000, 100000])]:
        k = f32(w).reshape(-1, 1, 1)
        y = run(L.Conv1D(1, len(w)), x, weights=[k, [0]])
        close(y, ref.conv(x, k))
        show(name, y)


@spec
def padding_same():
    # 1-D, odd kernel (3): pads 1 and 1. Even kernels: k=2 pads 0 before, 1 after; k=4 pads 1, 2.
    x = signal([1, 2, 3, 4, 5, 6])
    for name, w in [("odd3", [1, 10, 100]), ("even2", [1, 10]), ("even4", [1, 10, 100, 1000])]:
        k = f32(w).reshape(-1, 1, 1)
        y = run(L.Conv1D(1, len(w), padding="same"), x, weights=[k, [0]])
        close(y, ref.conv(x, k, padding="same"))
        print("# pads", ref.pads_for(6, len(w), 1, 1, "same"))
        show(name, y)
    # 2-D: 4x4 image, 3x3 box-sum (pads 1 all round) and 2x2 (pads 0 before, 1 after)
    img = image([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]])
    k = np.ones((3, 3, 1, 1), np.float32)
    y = run(L.Conv2D(1, 3, padding="same"), img, weights=[k, [0]])
    show("box3", y)
    k = np.ones((2, 2, 1, 1), np.float32)
    y = run(L.Conv2D(1, 2, padding="same"), img, weights=[k, [0]])
    show("box2", y)


@spec
def padding_same_lower():
    x = signal([1, 2, 3, 4, 5, 6])
    for name, w in [("odd3", [1, 10, 100]), ("even2", [1, 10]), ("even4", [1, 10, 100, 1000])]:
        k = f32(w).reshape(-1, 1, 1)
        print("# pads", ref.pads_for(6, len(w), 1, 1, "same_lower"))
        show(name, ref.conv(x, k, padding="same_lower"))
    img = image([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]])
    k = np.ones((2, 2, 1, 1), np.float32)
    show("box2", ref.conv(img, k, padding="same_lower"))


@spec
def padding_causal():
    x = signal([1, 2, 3, 4, 5, 6])
    k = f32([1, 10, 100]).reshape(3, 1, 1)
    y = run(L.Conv1D(1, 3, padding="causal"), x, weights=[k, [0]])
    close(y, ref.conv(x, k, padding="causal"))
    show("causal", y)
    y = run(L.Conv1D(1, 3, padding="causal", dilation_rate=2), x, weights=[k, [0]])
    close(y, ref.conv(x, k, padding="causal", dilation=2))
    show("causal_dilated", y)


@spec
def padding_explicit():
    img = image([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    k = f32([[1, 10], [100, 1000]]).reshape(2, 2, 1, 1)
    # rows (1, 0), cols (2, 1) with zeros
    xp = L.ZeroPadding2D(((1, 0), (2, 1)))(img)
    y = run(L.Conv2D(1, 2), np.asarray(xp), weights=[k, [0]])
    close(y, ref.conv(img, k, padding=[(1, 0), (2, 1)]))
    show("explicit", y)
    x = signal([1, 2, 3, 4])
    k1 = f32([1, 10, 100]).reshape(3, 1, 1)
    xp = L.ZeroPadding1D((2, 0))(x)
    y = run(L.Conv1D(1, 3), np.asarray(xp), weights=[k1, [0]])
    close(y, ref.conv(x, k1, padding=[(2, 0)]))
    show("left_only", y)


@spec
def padding_modes():
    x = signal([1, 2, 3, 4, 5])
    k = f32([10000, 1000, 100, 10, 1]).reshape(5, 1, 1)
    for mode in ["zeros", "reflect", "replicate", "circular"]:
        print("# padded:", ref.pad_only(x, [(2, 2)], mode)[0, :, 0])
        show(mode, ref.conv(x, k, padding="same", mode=mode))
    img = image([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]])
    k = np.ones((3, 3, 1, 1), np.float32)
    for mode in ["zeros", "reflect", "replicate", "circular"]:
        print("# padded:\n", ref.pad_only(img, [(1, 1), (1, 1)], mode)[0, :, :, 0])
        show(mode + "_2d", ref.conv(img, k, padding="same", mode=mode))


@spec
def strides():
    x = signal([1, 2, 3, 4, 5, 6, 7])
    k = f32([1, 10, 100]).reshape(3, 1, 1)
    y = run(L.Conv1D(1, 3, strides=2), x, weights=[k, [0]])
    show("valid_s2", y)
    y = run(L.Conv1D(1, 3, strides=2, padding="same"), x, weights=[k, [0]])
    close(y, ref.conv(x, k, strides=2, padding="same"))
    print("# pads", ref.pads_for(7, 3, 2, 1, "same"))
    show("same_s2_odd", y)
    x6 = signal([1, 2, 3, 4, 5, 6])
    y = run(L.Conv1D(1, 3, strides=2, padding="same"), x6, weights=[k, [0]])
    close(y, ref.conv(x6, k, strides=2, padding="same"))
    print("# pads", ref.pads_for(6, 3, 2, 1, "same"))
    show("same_s2_even", y)
    img = image([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12, 13, 14, 15], [16, 17, 18, 19, 20],
                 [21, 22, 23, 24, 25]])
    k2 = f32([[1, 0], [0, 1]]).reshape(2, 2, 1, 1)
    y = run(L.Conv2D(1, 2, strides=(2, 3)), img, weights=[k2, [0]])
    close(y, ref.conv(img, k2, strides=(2, 3)))
    show("grid_s2x3", y)


@spec
def dilation():
    x = signal([1, 2, 3, 4, 5, 6, 7])
    k = f32([1, 10, 100]).reshape(3, 1, 1)
    y = run(L.Conv1D(1, 3, dilation_rate=2), x, weights=[k, [0]])
    close(y, ref.conv(x, k, dilation=2))
    show("d2", y)
    y = run(L.Conv1D(1, 3, dilation_rate=2, padding="same"), x, weights=[k, [0]])
    close(y, ref.conv(x, k, dilation=2, padding="same"))
    show("d2_same", y)
    img = image([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12, 13, 14, 15], [16, 17, 18, 19, 20],
                 [21, 22, 23, 24, 25]])
    k2 = f32([[1, -1], [-1, 1]]).reshape(2, 2, 1, 1)
    k2 = f32([[1, 0], [0, 1]]).reshape(2, 2, 1, 1)
    y = run(L.Conv2D(1, 2, dilation_rate=(2, 3)), img, weights=[k2, [0]])
    close(y, ref.conv(img, k2, dilation=(2, 3)))
    show("grid_d2x3", y)


@spec
def strides_dilation():
    img = image([[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12], [13, 14, 15, 16, 17, 18],
                 [19, 20, 21, 22, 23, 24], [25, 26, 27, 28, 29, 30], [31, 32, 33, 34, 35, 36]])
    k = f32([[1, 0], [0, 1]]).reshape(2, 2, 1, 1)
    y = ref.conv(img, k, strides=2, dilation=2)
    # cross-check with Keras's depthwise conv, which accepts both together
    yd = run(L.DepthwiseConv2D(2, strides=2, dilation_rate=2), img, weights=[k, [0]])
    close(y, yd)
    show("both", y)
    y = ref.conv(img, k, strides=2, dilation=2, padding="same")
    yd = run(L.DepthwiseConv2D(2, strides=2, dilation_rate=2, padding="same"), img,
             weights=[k, [0]])
    close(y, yd)
    show("both_same", y)
    x = signal([1, 2, 3, 4, 5, 6, 7, 8, 9])
    k1 = f32([1, 10, 100]).reshape(3, 1, 1)
    y = ref.conv(x, k1, strides=3, dilation=2)
    yd = run(L.DepthwiseConv1D(3, strides=3, dilation_rate=2), x, weights=[k1, [0]])
    close(y, yd)
    show("line", y)


@spec
def groups():
    # (1, 4, 4): 4 positions, 4 channels; groups = 2, 4 filters, kernel 2
    x = f32([[1, 0, 2, 1], [2, 1, 0, 3], [0, 3, 1, 1], [1, 2, 2, 0]])[None]
    # filters: each (2, 2) = (k, in_channels/groups)
    fs = [
        f32([[1, 0], [1, 0]]),      # filter 0 (group 0): sum of channel 0 over 2 steps
        f32([[0, 1], [0, -1]]),     # filter 1 (group 0): channel 1 difference
        f32([[1, 1], [0, 0]]),      # filter 2 (group 1): channels 2+3 at the first step
        f32([[0, 0], [2, 0]]),      # filter 3 (group 1): twice channel 2 at the second step
    ]
    k = kernel_from_filters(fs)
    y = run(L.Conv1D(4, 2, groups=2), x, weights=[k, [0, 0, 0, 1]])
    close(y, ref.conv(x, k, [0, 0, 0, 1], groups=2))
    show("grouped", y)


@spec
def depthwise():
    x = f32([[1, 4], [2, 3], [3, 2], [4, 1], [5, 0]])[None]   # (1, 5, 2)
    # depthwise kernel (3, 2 channels, 2 multipliers)
    k = np.zeros((3, 2, 2), np.float32)
    k[:, 0, 0] = [1, 1, 1]      # out 0: channel 0 moving sum
    k[:, 0, 1] = [-1, 0, 1]     # out 1: channel 0 slope
    k[:, 1, 0] = [0, 1, 0]      # out 2: channel 1 copy
    k[:, 1, 1] = [1, -2, 1]     # out 3: channel 1 second difference
    y = run(L.DepthwiseConv1D(3, depth_multiplier=2), x, weights=[k, [0, 0, 0, 0]])
    close(y, ref.conv(x, ref.depthwise_kernel(k), groups=2))
    show("dw1d", y)
    img = np.stack([f32([[1, 2, 3], [4, 5, 6], [7, 8, 9]]), f32([[9, 8, 7], [6, 5, 4], [3, 2, 1]])],
                   axis=-1)[None]                               # (1, 3, 3, 2)
    k2 = np.zeros((2, 2, 2, 2), np.float32)
    k2[..., 0, 0] = [[1, 0], [0, 0]]
    k2[..., 0, 1] = [[1, 1], [1, 1]]
    k2[..., 1, 0] = [[0, 0], [0, 1]]
    k2[..., 1, 1] = [[1, -1], [-1, 1]]
    y = run(L.DepthwiseConv2D(2, depth_multiplier=2), img, weights=[k2, [0, 0, 0, 10]])
    close(y, ref.conv(img, ref.depthwise_kernel(k2), [0, 0, 0, 10], groups=2))
    show("dw2d", y)


@spec
def pooling1d():
    x = f32([[1, 8], [3, 6], [2, 7], [5, 4], [4, 5]])[None]      # (1, 5, 2)
    show("max_valid", run(L.MaxPooling1D(2), x))
    show("avg_valid", run(L.AveragePooling1D(2), x))
    show("max_same", run(L.MaxPooling1D(2, padding="same"), x))
    show("avg_same", run(L.AveragePooling1D(2, padding="same"), x))
    show("max_s1", run(L.MaxPooling1D(3, strides=1), x))
    show("avg_same_s1", run(L.AveragePooling1D(3, strides=1, padding="same"), x))


@spec
def pooling2d():
    img = image([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12, 13, 14, 15], [16, 17, 18, 19, 20],
                 [21, 22, 23, 24, 25]])
    show("max_valid", run(L.MaxPooling2D(2), img))
    show("avg_valid", run(L.AveragePooling2D(2), img))
    show("max_same", run(L.MaxPooling2D(2, padding="same"), img))
    show("avg_same", run(L.AveragePooling2D(2, padding="same"), img))
    show("avg_3x3_same_s1", run(L.AveragePooling2D(3, strides=1, padding="same"), img),
         within=1e-5)
    show("max_2x3", run(L.MaxPooling2D((2, 3), strides=(1, 2)), img))


@spec
def pooling3d():
    x = np.arange(1, 28, dtype=np.float32).reshape(1, 3, 3, 3, 1)
    show("max_valid", run(L.MaxPooling3D(2), x))
    show("avg_valid", run(L.AveragePooling3D(2), x))
    show("max_same", run(L.MaxPooling3D(2, padding="same"), x))
    show("avg_same", run(L.AveragePooling3D(2, padding="same"), x))


@spec
def global_pooling():
    x1 = f32([[1, -2], [4, 0], [-3, 6], [2, 2]])[None]     # (1, 4, 2)
    show("gmax1", run(L.GlobalMaxPooling1D(), x1))
    show("gavg1", run(L.GlobalAveragePooling1D(), x1))
    x2 = np.stack([f32([[1, 2, 3], [4, 5, 6]]), f32([[0, -1, 0], [-1, -8, -1]])], axis=-1)[None]
    show("gmax2", run(L.GlobalMaxPooling2D(), x2))
    show("gavg2", run(L.GlobalAveragePooling2D(), x2))
    show("gavg2_keep", run(L.GlobalAveragePooling2D(keepdims=True), x2))
    x3 = np.arange(1, 9, dtype=np.float32).reshape(1, 2, 2, 2, 1)
    show("gmax3", run(L.GlobalMaxPooling3D(), x3))
    show("gavg3", run(L.GlobalAveragePooling3D(), x3))
    show("gmax3_keep", run(L.GlobalMaxPooling3D(keepdims=True), x3))


ACTIVATIONS = ["linear", "relu", "relu6", "leaky_relu", "elu", "selu", "sigmoid", "hard_sigmoid",
               "tanh", "softplus", "softsign", "silu", "gelu", "exponential", "softmax"]


@spec
def activations():
    x = f32([[-3, -0.5], [-1, 0], [0.5, 1], [2, 7]])[None]    # (1, 4, 2)
    for name in ACTIVATIONS:
        y = run(L.Activation(name), x)
        # float64 reference, to choose a tolerance that covers f32 rounding either way
        mx = float(np.max(np.abs(y)))
        tol = max(1e-6, 4 * float(np.spacing(np.float32(mx))))
        tol = float(f"{tol:.0e}") if tol > 1e-6 else 1e-6
        if tol < 4 * float(np.spacing(np.float32(mx))):
            tol *= 2
        exact = name in ("linear", "relu", "relu6")
        show(name, y, within=None if exact else tol)


@spec
def merges():
    a = f32([[1, -2], [3, 0], [-1, 5]])[None]      # (1, 3, 2)
    b = f32([[4, 1], [-3, 2], [2, 2]])[None]
    c = f32([[0, 3], [6, -6], [1, -1]])[None]
    show("sum", a + b + c)
    show("difference", a - b)
    show("product", a * b)
    show("largest", np.maximum(np.maximum(a, b), c))
    show("smallest", np.minimum(a, b))
    show("mean", (a + b + c) / 3, within=1e-6)
    show("mean2", (a + b) / 2)
    d = f32([7, 8, 9])[None, :, None]
    show("joined", np.concatenate([a, d, b], axis=-1))
    # Keras layers agree
    close(run(L.Add(), a, b, c), a + b + c)
    close(run(L.Subtract(), a, b), a - b)
    close(run(L.Multiply(), a, b), a * b)
    close(run(L.Average(), a, b, c), (a + b + c) / 3, 1e-6)
    close(run(L.Concatenate(), a, d, b), np.concatenate([a, d, b], axis=-1))


def gaussian(n, sigma=None):
    if sigma is None:
        sigma = 0.3 * ((n - 1) * 0.5 - 1) + 0.8
    r = np.arange(n, dtype=np.float64) - (n - 1) / 2
    g = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * sigma * sigma))
    return g / g.sum()


BUILTINS = {
    "vertical_line": np.array([[0, 1, 0], [0, 1, 0], [0, 1, 0]], np.float64),
    "horizontal_line": np.array([[0, 0, 0], [1, 1, 1], [0, 0, 0]], np.float64),
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], np.float64),
    "sobel_x": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float64),
    "scharr_x": np.array([[-3, 0, 3], [-10, 0, 10], [-3, 0, 3]], np.float64),
    "prewitt_x": np.array([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]], np.float64),
    "laplacian": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], np.float64),
    "laplacian8": np.array([[1, 1, 1], [1, -8, 1], [1, 1, 1]], np.float64),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], np.float64),
    "emboss": np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], np.float64),
}
for _n in ["sobel", "scharr", "prewitt"]:
    BUILTINS[_n + "_y"] = BUILTINS[_n + "_x"].T
BUILTINS["identity(5)"] = np.pad(BUILTINS["identity"], 1)
BUILTINS["box(3)"] = np.full((3, 3), 1 / 9)
BUILTINS["gaussian(3)"] = gaussian(3)
BUILTINS["gaussian(5, 1.0)"] = gaussian(5, 1.0)

PICTURE = [[0, 0, 0, 0, 0, 0],
           [0, 0, 0, 0, 0, 0],
           [0, 0, 9, 9, 9, 9],
           [0, 0, 9, 9, 9, 9],
           [0, 0, 9, 9, 3, 3],
           [0, 0, 9, 9, 3, 3]]


def builtin_spec(names):
    img = image(PICTURE)
    for name in names:
        w = BUILTINS[name].astype(np.float32)   # rounded to f32 once
        k = w.reshape(*w.shape, 1, 1)
        y = ref.conv(img, k)
        yk = run(L.Conv2D(1, w.shape[0]), img, weights=[k, [0]])
        close(y, yk, 1e-5)
        exact = np.all(w == np.round(w))
        label = name.replace("(", "").replace(")", "").replace(", ", "_").replace(".", "")
        show(label, y, within=None if exact else 1e-5)


@spec
def builtin_filters_edges():
    builtin_spec(["sobel_x", "sobel_y", "scharr_x", "scharr_y", "prewitt_x", "prewitt_y",
                  "laplacian", "laplacian8"])


@spec
def builtin_filters_other():
    builtin_spec(["vertical_line", "horizontal_line", "identity", "identity(5)", "sharpen",
                  "emboss", "box(3)", "gaussian(3)", "gaussian(5, 1.0)"])


@spec
def conv3d():
    x = np.zeros((1, 3, 3, 3, 1), np.float32)
    x[0, :, :, :, 0] = [[[1, 0, 2], [0, 1, 0], [3, 0, 1]],
                        [[0, 2, 0], [1, 1, 1], [0, 2, 0]],
                        [[2, 0, 1], [0, 3, 0], [1, 0, 2]]]
    k = np.zeros((2, 2, 2, 1, 2), np.float32)
    k[0, :, :, 0, 0] = [[1, 0], [0, 0]]
    k[1, :, :, 0, 0] = [[0, 0], [0, 1]]      # filter 0: front top-left + back bottom-right
    k[:, :, :, 0, 1] = 1                      # filter 1: sum of the 2x2x2 cube
    y = run(L.Conv3D(2, 2), x, weights=[k, [0, -5]])
    close(y, ref.conv(x, k, [0, -5]))
    show("cubes", y)
    y = run(L.Conv3D(1, 3, padding="same"), x, weights=[np.ones((3, 3, 3, 1, 1), np.float32), [0]])
    show("sum_same", y)


@spec
def batch():
    x = np.stack([f32([[1, 2, 3], [4, 5, 6], [7, 8, 9]]), f32([[0, 1, 0], [1, 0, 1], [0, 1, 0]])])
    x = x[..., None]
    k = f32([[1, 0], [0, -1]]).reshape(2, 2, 1, 1)
    y = run(L.Conv2D(1, 2), x, weights=[k, [0]])
    show("diag", y)
    show("pooled", run(L.GlobalMaxPooling2D(), x))


@spec
def multiple_outputs():
    x = signal([3, 1, 4, 1, 5, 9, 2, 6])
    k = f32([-1, 1]).reshape(2, 1, 1)
    y = run(L.Conv1D(1, 2), x, weights=[k, [0]])
    show("change", y)
    show("rises", np.maximum(y, 0))
    show("peaks", run(L.MaxPooling1D(4), x))


@spec
def fill():
    x = np.ones((1, 4, 4, 1), np.float32)
    y = run(L.Conv2D(2, 3), x, weights=[np.full((3, 3, 1, 2), 0.5, np.float32), [1, 1]])
    show("halves", y)
    y = run(L.Conv2D(1, 2, padding="same"), x, weights=[np.full((2, 2, 1, 1), 2, np.float32), [0]])
    show("twos", y)


@spec
def toml_conv2d():
    img = image([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12, 13, 14, 15], [16, 17, 18, 19, 20]])
    k = np.stack([f32([[1, 0, -1], [1, 0, -1], [1, 0, -1]]), f32([[0, 0, 0], [0, 1, 0], [0, 0, 0]])],
                 axis=-1)[:, :, None, :]
    y = run(L.Conv2D(2, 3, strides=2, padding="same", activation="relu"), img,
            weights=[k, [0, 0.5]])
    close(y, ref.conv(img, k, [0, 0.5], strides=2, padding="same", activation="relu"))
    print("kernel data =", toml_data(k, per_line=2))
    print("data =", toml_data(y))
    show("edges", y)
    y = ref.conv(img, k[..., :1], padding=[(1, 0), (0, 2)], mode="reflect")
    print("data =", toml_data(y))
    show("reflected", y)


@spec
def toml_merge():
    x = signal([2, -1, 0, 3, -2, 1])
    k1 = f32([1, 1]).reshape(2, 1, 1)
    k2 = f32([1, -1]).reshape(2, 1, 1)
    s = run(L.Conv1D(1, 2), x, weights=[k1, [0]])
    d = run(L.Conv1D(1, 2), x, weights=[k2, [0]])
    show("sums", s)
    show("diffs", d)
    m = np.maximum(s, d)
    show("larger", m)
    cat = np.concatenate([s, d], axis=-1)
    print("data =", toml_data(cat))
    show("both", cat)
    print("data =", toml_data(run(L.Activation("relu"), m)))


@spec
def numbers():
    x = signal([0.5, 0.5, 1e-3, -2.5e4, 0.1, 3])
    k = f32([1, 1]).reshape(2, 1, 1)
    y = run(L.Conv1D(1, 2), x, weights=[k, [0]])
    show("pairs", ref.conv(x, k))
    print("# keras", y.ravel())


@spec
def channels1d():
    x = f32([[1, 5], [2, 6], [3, 7], [4, 8]])[None]   # (1, 4, 2)
    fs = [f32([[1, 0], [1, 0]]), f32([[0, 1], [0, -1]]), f32([[1, -1], [0, 0]])]
    k = kernel_from_filters(fs)
    y = run(L.Conv1D(3, 2), x, weights=[k, [0, 0, 0]])
    show("mixed", y)


@spec
def npy_input():
    a = f32([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]).reshape(1, 3, 4, 1)
    y = run(L.Conv2D(1, 2), a, weights=[np.ones((2, 2, 1, 1), np.float32), [0]])
    show("sums", y)
    w = f32([[1, -1], [2, 0]]).reshape(2, 2, 1, 1)
    y = run(L.Conv2D(1, 2), a, weights=[w, [0]])
    show("weighted", y)


if __name__ == "__main__":
    names = sys.argv[1:] or list(SPECS)
    for n in names:
        print(f"==== {n}")
        SPECS[n]()
