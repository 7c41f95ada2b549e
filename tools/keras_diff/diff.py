#!/usr/bin/env python3
"""Differential tester: convc's reference interpreter against Keras 3.

Development tool only (the project itself never needs Python). It generates
small random models in the TOML form of PRODUCT.md, runs each through

  * `convc run spec.toml --format json --all`-free form: the spec lists every
    layer in `outputs`, so every intermediate is compared;
  * `convc convert spec.toml --to conv` then `convc run spec.conv` (must be
    bit-identical to the TOML run);
  * the same model built with the Keras functional API (jax backend),

and compares every output element-wise. Failing specs are kept under --out.

    KERAS_BACKEND=jax /work/kvenv/bin/python tools/keras_diff/diff.py \
        --convc target/debug/convc --count 300 --seed 1 --out /tmp/kdiff

    # re-run one (hand-minimised) spec:
    ... diff.py --convc target/debug/convc --replay spec.toml
"""

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import traceback

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import warnings  # noqa: E402

import numpy as np  # noqa: E402

warnings.filterwarnings("ignore")
WORST = [0.0, ""]  # largest |keras - convc| / tol seen among agreeing values

ACTIVATIONS = [
    "linear", "relu", "relu6", "leaky_relu", "elu", "selu", "sigmoid",
    "hard_sigmoid", "tanh", "softplus", "softsign", "silu", "gelu",
    "exponential", "softmax",
]
MERGES = ["add", "subtract", "multiply", "maximum", "minimum", "average",
          "concatenate"]
WIDE = [0, 1e-3, 0.5, 3, 5, 17, 20, 40, 88, 89, 100, 200, 1000]
CONV = {1: "conv1d", 2: "conv2d", 3: "conv3d"}
DEPTHWISE = {1: "depthwise_conv1d", 2: "depthwise_conv2d"}


# --------------------------------------------------------------------------
# Shapes (PRODUCT.md's formulas, which are Keras's)

def conv_out(n, k, s, d, padding):
    keff = d * (k - 1) + 1
    if padding == "valid":
        return (n - keff) // s + 1 if n >= keff else 0
    return -(-n // s)  # same, causal


def fit_valid(sp, ks, dl, padding):
    """With `valid` padding, shrink windows that do not fit the input."""
    if padding != "valid":
        return ks, dl
    ks, dl = list(ks), list(dl)
    for i, n in enumerate(sp):
        if dl[i] * (ks[i] - 1) + 1 > n:
            dl[i] = 1
            ks[i] = min(ks[i], n)
    return ks, dl


# --------------------------------------------------------------------------
# Generator

class Gen:
    def __init__(self, rng):
        self.r = rng
        self.layers = []
        self.shapes = {}
        u = rng.random()
        # data for this spec: decimals in [-1, 1], small integers, or a mix
        # with extreme values (numerically unstable activation formulas)
        self.mode = "ints" if u < 0.2 else "wide" if u < 0.3 else "dec"
        self.n = 0

    def values(self, count):
        r = self.r
        if self.mode == "ints":
            return [r.randint(-3, 3) for _ in range(count)]
        if self.mode == "wide":
            return [r.choice([1, -1]) * r.choice(WIDE) if r.random() < 0.5
                    else round(r.uniform(-1, 1), 3) for _ in range(count)]
        dec = r.choice([1, 2, 3])
        return [round(r.uniform(-1, 1), dec) for _ in range(count)]

    def tensor(self, shape):
        return {"shape": list(shape), "data": self.values(int(np.prod(shape)))}

    def size_arg(self, vals):
        # Keras accepts an int or a tuple; exercise both forms.
        if len(set(vals)) == 1 and self.r.random() < 0.5:
            return vals[0]
        return list(vals)

    def name(self):
        self.n += 1
        return "l%d" % (self.n - 1)

    # Each maker returns (layer dict without name/inputs, out shape) or None.
    def act(self):
        r = self.r
        return r.choice(ACTIVATIONS) if r.random() < 0.6 else None

    def make_conv(self, shape, keep):
        r = self.r
        rank = len(shape) - 2
        if rank < 1:
            return None
        C = shape[-1]
        sp = shape[1:-1]
        divs = [g for g in range(1, C + 1) if C % g == 0]
        groups = 1 if r.random() < 0.6 else r.choice(divs)
        filters = groups * r.randint(1, max(1, 4 // groups)) if groups > 1 else r.randint(1, 4)
        if keep and r.random() < 0.7:
            filters = C if C % groups == 0 else filters
        kmax = 3 if rank == 3 else 4
        ks = [r.randint(1, kmax) for _ in sp]
        pads = ["valid", "same"] + (["causal"] if rank == 1 else [])
        padding = r.choice(pads)
        st = [1] * rank
        dl = [1] * rank
        # Keras conv*d refuses strides > 1 together with dilation > 1.
        m = r.random()
        if m < 0.4:
            st = [r.randint(1, 3) for _ in sp]
        elif m < 0.7:
            dl = [r.randint(1, 3) for _ in sp]
        if keep:
            st = [1] * rank
            padding = "causal" if padding == "causal" else "same"
        ks, dl = fit_valid(sp, ks, dl, padding)
        out = [conv_out(n, k, s, d, padding) for n, k, s, d in zip(sp, ks, st, dl)]
        if min(out) <= 0:
            return None
        L = {"op": CONV[rank], "filters": filters, "kernel_size": self.size_arg(ks)}
        if st != [1] * rank or r.random() < 0.2:
            L["strides"] = self.size_arg(st)
        if padding != "valid" or r.random() < 0.3:
            L["padding"] = padding
        if dl != [1] * rank or r.random() < 0.2:
            L["dilation_rate"] = self.size_arg(dl)
        if groups != 1 or r.random() < 0.2:
            L["groups"] = groups
        a = self.act()
        if a:
            L["activation"] = a
        L["kernel"] = self.tensor(ks + [C // groups, filters])
        self.bias(L, filters)
        return L, [shape[0]] + out + [filters]

    def bias(self, L, n):
        r = self.r
        u = r.random()
        if u < 0.2:
            L["use_bias"] = False
        elif u < 0.3:
            pass  # default bias: zeros
        else:
            if r.random() < 0.2:
                L["use_bias"] = True
            L["bias"] = self.tensor([n])

    def make_depthwise(self, shape, keep):
        r = self.r
        rank = len(shape) - 2
        if rank not in DEPTHWISE:
            return None
        C = shape[-1]
        sp = shape[1:-1]
        dm = r.choice([1, 1, 2, 3])
        if keep and r.random() < 0.7:
            dm = 1
        ks = [r.randint(1, 4) for _ in sp]
        padding = r.choice(["valid", "same"])
        # Depthwise accepts strides and dilation > 1 together.
        st = [r.choice([1, 1, 2, 3]) for _ in sp]
        dl = [r.choice([1, 1, 2, 3]) for _ in sp]
        if keep:
            st = [1] * rank
            padding = "same"
        ks, dl = fit_valid(sp, ks, dl, padding)
        out = [conv_out(n, k, s, d, padding) for n, k, s, d in zip(sp, ks, st, dl)]
        if min(out) <= 0:
            return None
        L = {"op": DEPTHWISE[rank], "kernel_size": self.size_arg(ks)}
        if dm != 1 or r.random() < 0.3:
            L["depth_multiplier"] = dm
        if st != [1] * rank or r.random() < 0.2:
            L["strides"] = self.size_arg(st)
        if padding != "valid" or r.random() < 0.3:
            L["padding"] = padding
        if dl != [1] * rank or r.random() < 0.2:
            L["dilation_rate"] = self.size_arg(dl)
        a = self.act()
        if a:
            L["activation"] = a
        L["kernel"] = self.tensor(ks + [C, dm])
        self.bias(L, C * dm)
        return L, [shape[0]] + out + [C * dm]

    def make_pool(self, shape, keep):
        r = self.r
        rank = len(shape) - 2
        if rank < 1:
            return None
        sp = shape[1:-1]
        kind = r.choice(["max", "average"])
        ps = [r.randint(1, 3) for _ in sp]
        st = None if r.random() < 0.4 else [r.randint(1, 3) for _ in sp]
        padding = r.choice(["valid", "same"])
        if keep:
            st = [1] * rank
            padding = "same"
        ps, _ = fit_valid(sp, ps, [1] * rank, padding)
        est = st if st is not None else ps
        out = [conv_out(n, k, s, 1, padding) for n, k, s in zip(sp, ps, est)]
        if min(out) <= 0:
            return None
        L = {"op": "%s_pooling%dd" % (kind, rank), "pool_size": self.size_arg(ps)}
        if st is not None:
            L["strides"] = self.size_arg(st)
        if padding != "valid" or r.random() < 0.3:
            L["padding"] = padding
        return L, [shape[0]] + out + [shape[-1]]

    def make_global(self, shape, keep):
        r = self.r
        rank = len(shape) - 2
        if rank < 1:
            return None
        kind = r.choice(["max", "average"])
        L = {"op": "global_%s_pooling%dd" % (kind, rank)}
        kd = r.random() < 0.5
        if kd or r.random() < 0.3:
            L["keepdims"] = kd
        if kd:
            return L, [shape[0]] + [1] * rank + [shape[-1]]
        return L, [shape[0], shape[-1]]

    def make_activation(self, shape, keep):
        return {"op": "activation", "activation": self.r.choice(ACTIVATIONS)}, list(shape)

    def random_layer(self, src, keep=False):
        r = self.r
        shape = self.shapes[src]
        makers = [(self.make_conv, 4), (self.make_depthwise, 2), (self.make_pool, 2),
                  (self.make_activation, 2), (self.make_global, 0.3 if keep else 1.0)]
        for _ in range(40):
            mk = r.choices([m for m, _ in makers], [w for _, w in makers])[0]
            got = mk(shape, keep)
            if got is not None:
                L, out = got
                return self.add(L, [src], out)
        return self.add({"op": "activation", "activation": r.choice(ACTIVATIONS)}, [src], shape)

    def add(self, L, inputs, out):
        name = self.name()
        full = {"name": name, "op": L.pop("op"), "inputs": inputs}
        full.update(L)
        self.layers.append(full)
        self.shapes[name] = list(out)
        return name

    def merge(self, srcs):
        r = self.r
        shapes = [self.shapes[s] for s in srcs]
        same = all(s == shapes[0] for s in shapes)
        if same:
            op = r.choice(MERGES)
        else:
            op = "concatenate"
        if op == "subtract" and len(srcs) != 2:
            op = "add"
        if op == "concatenate":
            out = shapes[0][:-1] + [sum(s[-1] for s in shapes)]
        else:
            out = shapes[0]
        return self.add({"op": op}, list(srcs), out)

    def chain(self, src, n, keep):
        for _ in range(n):
            src = self.random_layer(src, keep)
        return src

    def branch(self, src):
        """Two chains from src, merged; retried until the shapes fit."""
        r = self.r
        for _ in range(30):
            save = (list(self.layers), dict(self.shapes), self.n)
            keep = r.random() < 0.4
            a = self.chain(src, r.randint(0, 2), keep)
            b = self.chain(src, r.randint(1, 2), keep)
            sa, sb = self.shapes[a], self.shapes[b]
            if a != b and sa[:-1] == sb[:-1]:
                srcs = [a, b]
                if r.random() < 0.2 and self.shapes[src][:-1] == sa[:-1] and src not in srcs:
                    srcs.append(src)
                return self.merge(srcs)
            self.layers, self.shapes, self.n = save
        return self.random_layer(src)

    def spec(self):
        r = self.r
        rank = r.choice([1, 1, 2, 2, 3])
        batch = r.randint(1, 3)
        if rank == 1:
            sp = [r.randint(1, 12)]
        elif rank == 2:
            sp = [r.randint(1, 8) for _ in range(2)]
        else:
            sp = [r.randint(1, 5) for _ in range(3)]
        C = r.randint(1, 4)
        if r.random() < 0.1:  # now and then wider and larger
            C = r.randint(5, 8)
            sp = [n + r.randint(0, 8 if rank < 3 else 2) for n in sp]
        shape = [batch] + sp + [C]
        inputs = {"x": self.tensor(shape)}
        self.shapes["x"] = shape
        cur = "x"
        if r.random() < 0.2:
            inputs["y"] = self.tensor(shape)
            self.shapes["y"] = shape
            cur = self.merge(["x", "y"])
            if r.random() < 0.5:
                t = self.random_layer("y", keep=True)
                if self.shapes[t][:-1] == self.shapes[cur][:-1]:
                    cur = self.merge([cur, t])
        for _ in range(r.randint(1, 4)):
            if len(self.shapes[cur]) == 2:  # after global pooling: no spatial axes
                if r.random() < 0.5:
                    break
                cur = self.add({"op": "activation", "activation": r.choice(ACTIVATIONS)},
                               [cur], self.shapes[cur])
                continue
            if r.random() < 0.35:
                cur = self.branch(cur)
            else:
                cur = self.random_layer(cur)
        return {"outputs": [L["name"] for L in self.layers], "inputs": inputs,
                "layers": self.layers}


def generate(seed):
    return Gen(random.Random(seed)).spec()


# --------------------------------------------------------------------------
# TOML writer (the fixed form of PRODUCT.md)

def tval(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(tval(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join("%s = %s" % (k, tval(x)) for k, x in v.items()) + " }"
    raise TypeError(v)


def to_toml(spec):
    out = ["outputs = %s" % tval(spec["outputs"]), ""]
    for name, t in spec["inputs"].items():
        out += ["[inputs.%s]" % name, "shape = %s" % tval(t["shape"]),
                "data = %s" % tval(t["data"]), ""]
    for L in spec["layers"]:
        out.append("[[layers]]")
        for k, v in L.items():
            out.append("%s = %s" % (k, tval(v)))
        out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------
# Keras side

def f32(data):
    return np.float32(np.array(data, dtype=np.float64))


def build_keras(spec, mag):
    """Functional model with one output per layer.

    mag=False: the model itself.  mag=True: a magnitude model used only for
    the tolerance: same graph on |inputs| with |weights|, activations replaced
    by a bound on how much they can amplify an error, so each element of its
    output bounds sum|w*x| over every path that feeds that element.
    """
    import keras
    from keras import layers as KL, ops

    tensors = {}
    kins = []
    feeds = []
    for name, t in spec["inputs"].items():
        shape = t["shape"]
        x = keras.Input(shape=tuple(shape[1:]), batch_size=shape[0], name=name)
        tensors[name] = x
        kins.append(x)
        a = f32(t["data"]).reshape(shape)
        # a non-finite input gets magnitude nan: what it feeds is compared
        # strictly (same class, finite values relatively), not as "overflow"
        feeds.append(np.where(np.isfinite(a), np.abs(a), np.nan).astype(np.float32) if mag else a)
    weights = []
    outs = []

    def act_mag(x, a):
        if a in (None, "linear", "relu", "relu6", "leaky_relu", "elu", "tanh", "softsign"):
            return x
        if a == "selu":
            return x * 1.7581
        if a in ("sigmoid", "hard_sigmoid"):
            return x * 0.25 + 1.0
        if a in ("softplus", "silu", "gelu"):
            return x * 1.13 + 1.0
        if a == "exponential":
            return ops.exp(ops.minimum(x, 80.0)) * (1.0 + x)
        if a == "softmax":
            return ops.max(x, axis=-1, keepdims=True) * 2.0 + 1.0 + x * 0.0
        raise ValueError(a)

    for L in spec["layers"]:
        op = L["op"]
        ins = [tensors[i] for i in L["inputs"]]
        act = L.get("activation")
        kw = {}
        for k in ("kernel_size", "strides", "padding", "dilation_rate", "groups",
                  "depth_multiplier", "pool_size", "keepdims"):
            if k in L:
                kw[k] = tuple(L[k]) if isinstance(L[k], list) else L[k]
        if op.startswith("conv") or op.startswith("depthwise"):
            use_bias = L.get("use_bias", True)
            if op.startswith("conv"):
                layer = getattr(KL, "Conv%dD" % int(op[-2]))(
                    filters=L["filters"], use_bias=use_bias,
                    activation=None if mag else act, name=L["name"], **kw)
            else:
                layer = getattr(KL, "DepthwiseConv%dD" % int(op[-2]))(
                    use_bias=use_bias, activation=None if mag else act,
                    name=L["name"], **kw)
            y = layer(ins[0])
            kern = f32(L["kernel"]["data"]).reshape(L["kernel"]["shape"])
            w = [np.abs(kern) if mag else kern]
            if use_bias:
                nb = layer.bias.shape[0]
                b = f32(L["bias"]["data"]).reshape(nb) if "bias" in L else np.zeros(nb, np.float32)
                w.append(np.abs(b) if mag else b)
            weights.append((layer, w))
            if mag:
                y = act_mag(y, act)
        elif "pooling" in op:
            kind = "Max" if "max" in op else "Average"
            dim = op[-2]
            cls = ("Global%sPooling%sD" if op.startswith("global") else "%sPooling%sD") % (kind, dim)
            y = getattr(KL, cls)(name=L["name"], **kw)(ins[0])
        elif op == "activation":
            if mag:
                y = act_mag(ins[0], act)
            else:
                y = KL.Activation(act, name=L["name"])(ins[0])
        elif op in MERGES:
            if mag:
                if op in ("add", "subtract"):
                    y = KL.Add()(ins)
                elif op in ("maximum", "minimum"):
                    y = KL.Maximum()(ins)
                elif op == "multiply":
                    y = KL.Multiply()(ins) * 2.0
                elif op == "average":
                    y = KL.Average()(ins)
                else:
                    y = KL.Concatenate(axis=-1)(ins)
            else:
                cls = {"add": KL.Add, "subtract": KL.Subtract, "multiply": KL.Multiply,
                       "maximum": KL.Maximum, "minimum": KL.Minimum, "average": KL.Average}
                if op == "concatenate":
                    y = KL.Concatenate(axis=-1, name=L["name"])(ins)
                else:
                    y = cls[op](name=L["name"])(ins)
        else:
            raise ValueError("unknown op " + op)
        tensors[L["name"]] = y
    names = spec.get("outputs") or [spec["layers"][-1]["name"]]
    outs = [tensors[n] for n in names]
    model = keras.Model(kins, outs)
    for layer, w in weights:
        layer.set_weights(w)
    if MODE == "predict":
        res = model.predict(feeds, batch_size=feeds[0].shape[0], verbose=0)
    else:
        res = model(feeds, training=False)
    if not isinstance(res, (list, tuple)):
        res = [res]
    return {n: np.asarray(v) for n, v in zip(names, res)}


def run_keras(spec):
    import keras
    keras.backend.clear_session()
    with np.errstate(all="ignore"):
        vals = build_keras(spec, False)
        mags = build_keras(spec, True)
    return vals, mags


# --------------------------------------------------------------------------
# convc side

BACKEND = []  # e.g. ["--backend", "jit"]; empty: convc's default (the interpreter)


def run_convc(convc, path):
    p = subprocess.run([convc, "run", path, "--format", "json"] + BACKEND,
                       capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def parse_json(text):
    obj = json.loads(text)
    res = {}
    for o in obj["outputs"]:
        data = [float(v) if isinstance(v, str) else v for v in o["data"]]  # "nan", "inf", "-inf"
        res[o["name"]] = np.array(data, dtype=np.float64).reshape(o["shape"]) \
            if data else np.zeros(o["shape"])
    return res


# Tolerance.  Both sides compute in float32; they may add up the products of
# a convolution in different orders and use different libm/XLA
# approximations for exp/tanh/erf.  Summation-order error of an n-term float32
# sum is bounded by ~n*eps*sum|terms| (eps = 1.2e-7), typically
# sqrt(n)*eps*sum|terms|; with our small kernels (n <= ~100) and a few
# stacked layers, 1e-5 * sum|terms| is a comfortable bound that is still far
# below any semantic bug (a wrong padding split, tap, stride or formula moves
# a value by a whole term, i.e. by ~|w*x|).  The magnitude model gives sum|w*x|
# per element, propagated through the graph (see build_keras); ATOL covers
# transcendental functions' last-ulp differences near zero.
RTOL = 1e-5
MODE = os.environ.get("KDIFF_MODE", "predict")
ATOL = 1e-6


def compare(name, k, c, mag, limit=4):
    """Returns a list of mismatch strings (empty when they agree)."""
    if tuple(k.shape) != tuple(c.shape):
        return ["%s: shape keras %s convc %s" % (name, list(k.shape), list(c.shape))]
    k = k.astype(np.float64)
    mag = mag.astype(np.float64)
    # mag is nan where a nan/inf input feeds the element: then the values
    # must still agree (nan with nan, inf with inf), finite ones relatively.
    with np.errstate(all="ignore"):
        tol = ATOL + RTOL * np.where(np.isnan(mag), np.abs(k), mag)
    with np.errstate(all="ignore"):
        bothnan = np.isnan(k) & np.isnan(c)
        sameinf = np.isinf(k) & (k == c)
        finite = np.isfinite(k) & np.isfinite(c)
        ok = bothnan | sameinf | (finite & (np.abs(k - c) <= tol))
        # when the bound itself overflowed, the result depends on the order
        # of operations (inf, nan or a large finite value): accept anything
        ok |= np.isposinf(mag)
    with np.errstate(all="ignore"):
        ratio = np.where(finite & np.isfinite(tol), np.abs(k - c) / tol, 0.0)
    if ratio.size and ok.all() and ratio.max() > WORST[0]:
        WORST[0] = float(ratio.max())
        WORST[1] = name
    bad = np.argwhere(~ok)
    msgs = []
    for idx in bad[:limit]:
        t = tuple(int(v) for v in idx)
        msgs.append("%s%s: keras %r convc %r (tol %.3g)" % (
            name, list(t), float(k[t]), float(c[t]), float(tol[t])))
    if len(bad) > limit:
        msgs.append("%s: ... %d of %d elements differ" % (name, len(bad), k.size))
    return msgs


def check_spec(convc, spec, path, roundtrip=True):
    """Runs one spec; returns (status, messages). status: pass|fail|skip."""
    msgs = []
    rc, out, err = run_convc(convc, path)
    if rc != 0:
        return "fail", ["convc run exited %d: %s" % (rc, err.strip()[:2000])]
    try:
        got = parse_json(out)
    except Exception as e:
        return "fail", ["convc printed bad JSON (%s): %s" % (e, out[:300])]
    # .conv round trip: must be bit-identical.
    conv = path[:-5] + ".conv"
    p = None if not roundtrip else subprocess.run([convc, "convert", path, "--to", "conv", "-o", conv],
                       capture_output=True, text=True, timeout=120)
    if p is None:
        pass
    elif p.returncode != 0:
        msgs.append("convc convert exited %d: %s" % (p.returncode, p.stderr.strip()[:2000]))
    else:
        rc2, out2, err2 = run_convc(convc, conv)
        if rc2 != 0:
            msgs.append("convc run (.conv) exited %d: %s" % (rc2, err2.strip()[:2000]))
        elif out2 != out:
            try:
                got2 = parse_json(out2)
                for n in got:
                    a, b = got[n], got2.get(n)
                    if b is None or a.shape != b.shape or not np.array_equal(
                            a.astype(np.float32).view(np.uint32), b.astype(np.float32).view(np.uint32)):
                        msgs.append("round trip .conv differs in %s" % n)
                if not msgs:
                    msgs.append("round trip .conv: JSON text differs")
            except Exception as e:
                msgs.append("round trip .conv: bad JSON (%s)" % e)
    try:
        kv, km = run_keras(spec)
    except Exception as e:
        return "skip", msgs + ["keras refused: %s" % str(e).splitlines()[0][:300]]
    for n in spec["outputs"]:
        if n not in got:
            msgs.append("%s: missing from convc output" % n)
            continue
        msgs += compare(n, kv[n], got[n], km[n])
    return ("fail" if msgs else "pass"), msgs


# --------------------------------------------------------------------------
# Replay of a hand-written spec (the generated subset: inline data tensors)

def load_toml(path):
    import tomllib
    with open(path, "rb") as f:
        d = tomllib.load(f)
    spec = {"inputs": d["inputs"], "layers": d["layers"]}
    spec["outputs"] = d.get("outputs") or [d["layers"][-1]["name"]]
    return spec


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--convc", required=True)
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=None, help="where failing specs are kept")
    ap.add_argument("--replay", nargs="*", help="check these TOML specs instead of generating")
    ap.add_argument("--gen-only", action="store_true", help="only write the specs")
    ap.add_argument("--keras-only", action="store_true", help="only build/run the Keras side")
    ap.add_argument("--backend", help="pass --backend to convc run (interp, jit)")
    ap.add_argument("--no-roundtrip", action="store_true", help="skip the .conv round trip")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    convc = os.path.abspath(a.convc)
    if a.backend:
        BACKEND[:] = ["--backend", a.backend]
    out = a.out or tempfile.mkdtemp(prefix="kdiff-")
    os.makedirs(out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="kdiff-work-")
    counts = {"pass": 0, "fail": 0, "skip": 0}

    if a.replay:
        jobs = [(p, load_toml(p)) for p in a.replay]
    else:
        jobs = [("seed%d-%04d" % (a.seed, i), None) for i in range(a.count)]
    for i, (label, spec) in enumerate(jobs):
        if spec is None:
            spec = generate(a.seed * 1000003 + i)
        d = os.path.join(work, "s%04d" % i)
        os.makedirs(d)
        path = os.path.join(d, "spec.toml")
        with open(path, "w") as f:
            f.write(to_toml(spec))
        if a.keras_only:
            try:
                kv, km = run_keras(spec)
                counts["pass"] += 1
            except Exception as e:
                counts["skip"] += 1
                print("SKIP %s: %s" % (label, str(e).splitlines()[0][:300]))
            continue
        if a.gen_only:
            shutil.copy(path, os.path.join(out, "%s.toml" % label))
            continue
        try:
            status, msgs = check_spec(convc, spec, path, not a.no_roundtrip)
        except subprocess.TimeoutExpired:
            status, msgs = "fail", ["convc timed out"]
        except Exception:
            status, msgs = "fail", ["harness error:\n" + traceback.format_exc()]
        counts[status] += 1
        if status == "fail":
            keep = os.path.join(out, os.path.basename(label).replace(".toml", ""))
            shutil.rmtree(keep, ignore_errors=True)
            shutil.copytree(d, keep)
            with open(os.path.join(keep, "report.txt"), "w") as f:
                f.write("\n".join(msgs) + "\n")
            print("FAIL %s (%s)" % (label, os.path.join(keep, "spec.toml")))
            for m in msgs[:12]:
                print("    " + m)
        elif status == "skip":
            print("SKIP %s: %s" % (label, msgs[-1]))
        elif a.verbose:
            print("ok   %s" % label)
        sys.stdout.flush()
    shutil.rmtree(work, ignore_errors=True)
    extra = " (%d skipped: Keras refused the spec)" % counts["skip"] if counts["skip"] else ""
    if WORST[0]:
        print("closest agreeing value: %.3g of its tolerance (%s)" % tuple(WORST))
    print("%d passed, %d failed%s; failing specs in %s" % (counts["pass"], counts["fail"], extra, out))
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
