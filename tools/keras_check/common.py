"""Helpers shared by the keras_check scripts (development only; the test suite never runs them).

They compute layer outputs with Keras 3 (JAX backend, float32) and print them in `.conv` syntax
so that they can be pasted into a spec's `expect` block.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402
import keras  # noqa: E402


def f32(x):
    return np.asarray(x, dtype=np.float32)


def num(x):
    """The shortest text that reads back as the same float32."""
    x = np.float32(x)
    if np.isnan(x):
        return "nan"
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == np.round(x) and abs(x) < 1e7:
        return str(int(x))
    s = str(x)  # NumPy prints float32 with the shortest round-tripping digits
    return s


def row(values):
    return " ".join(num(v) for v in np.ravel(values))


def grid(a, indent=""):
    """A 1-D array as one row, a 2-D array as rows."""
    a = np.asarray(a)
    if a.ndim == 1:
        return "[" + row(a) + "]"
    if a.ndim == 2 and a.shape[0] == 1:
        return "[" + row(a[0]) + "]"
    lines = [indent + "    " + row(r) for r in a]
    return "[\n" + "\n".join(lines) + "\n" + indent + "]"


def tensor(a, indent=""):
    """A (batch, spatial..., channels) array as a `.conv` tensor: plain rows when batch and
    channels are 1 (and there is no depth axis), labelled grids otherwise."""
    a = np.asarray(a, dtype=np.float32)
    b, c = a.shape[0], a.shape[-1]
    spatial = a.shape[1:-1]
    if len(spatial) == 0:  # (batch, channels): global pooling output
        if b == 1:
            return "[" + row(a) + "]"
        return "[\n" + "\n".join(indent + "    " + row(r) for r in a) + "\n" + indent + "]"
    if b == 1 and c == 1 and len(spatial) <= 2:
        return grid(a[0, ..., 0], indent)
    parts = []
    depth = spatial[0] if len(spatial) == 3 else None
    for bi in range(b):
        for di in range(depth or 1):
            for ci in range(c):
                labels = []
                if b > 1:
                    labels.append(f"batch {bi}")
                if depth is not None:
                    labels.append(f"depth {di}")
                labels.append(f"channel {ci}")
                g = a[bi, di, ..., ci] if depth is not None else a[bi, ..., ci]
                parts.append(indent + "    " + ", ".join(labels) + ": " + grid(g, indent + "    "))
    return "{\n" + "\n".join(parts) + "\n" + indent + "}"


def show(name, a, within=None):
    a = np.asarray(a)
    shape = "(" + ", ".join(str(d) for d in a.shape) + ")"
    tail = f" within {within}" if within is not None else ""
    print(f"expect {name} {shape} = {tensor(a)}{tail}")


def run(layer, *inputs, weights=None):
    """Builds `layer` for the inputs' shapes, sets `weights` (Keras order: kernel, bias) and
    returns the output as a NumPy float32 array."""
    xs = [f32(x) for x in inputs]
    if len(xs) == 1:
        layer.build(xs[0].shape)
    else:
        layer.build([x.shape for x in xs])
    if weights is not None:
        layer.set_weights([f32(w) for w in weights])
    out = layer(xs[0] if len(xs) == 1 else xs)
    return np.asarray(out, dtype=np.float32)


def kernel_from_filters(filters):
    """Keras kernel (k..., in_ch, filters) from a list of filters, each (k..., in_ch)."""
    return np.stack([f32(f) for f in filters], axis=-1)


def toml_data(a, per_line=None):
    """Flat row-major data as a TOML array, one line per innermost rows-of-cols block."""
    a = np.asarray(a, dtype=np.float32)
    flat = [num(v) for v in a.ravel()]
    if per_line is None:
        per_line = a.shape[-1] * (a.shape[-2] if a.ndim >= 3 else 1)
    lines = [", ".join(flat[i:i + per_line]) + "," for i in range(0, len(flat), per_line)]
    if len(lines) == 1:
        return "[" + lines[0][:-1] + "]"
    return "[\n" + "\n".join("    " + l for l in lines) + "\n]"
