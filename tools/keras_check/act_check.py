"""Compares Keras's float32 activations with float64 definitions rounded once to float32, in
units in the last place, to choose the `within` tolerances of specs/features/activations.conv."""
import math

import numpy as np

from common import f32, keras, run, show

x = f32([[-3, -0.5], [-1, 0], [0.5, 1], [2, 7]])[None]
xd = x.astype(np.float64)
SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
erf = np.vectorize(math.erf)
REF = {
    "linear": xd, "relu": np.maximum(xd, 0), "relu6": np.clip(xd, 0, 6),
    "leaky_relu": np.where(xd > 0, xd, 0.2 * xd),
    "elu": np.where(xd > 0, xd, np.expm1(xd)),
    "selu": SELU_S * np.where(xd > 0, xd, SELU_A * np.expm1(xd)),
    "sigmoid": 1 / (1 + np.exp(-xd)),
    "hard_sigmoid": np.clip(xd + 3, 0, 6) / 6,
    "tanh": np.tanh(xd), "softplus": np.log1p(np.exp(xd)), "softsign": xd / (1 + abs(xd)),
    "silu": xd / (1 + np.exp(-xd)), "gelu": 0.5 * xd * (1 + erf(xd / math.sqrt(2))),
    "exponential": np.exp(xd),
    "softmax": np.exp(xd) / np.exp(xd).sum(-1, keepdims=True),
}
for name, r in REF.items():
    k = run(keras.layers.Activation(name), x)
    r32 = r.astype(np.float32)
    ulps = np.abs(k.astype(np.float64) - r32) / np.spacing(np.abs(r32).astype(np.float32) + 1e-30)
    print(f"{name:13s} max|keras-ref| = {np.max(np.abs(k - r32)):.3g}  ulps = {np.max(ulps):.1f}")
    show(name, r32)
