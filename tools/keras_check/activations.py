"""Prints specs/features/activations.conv's layers and expects (Keras 3, float32)."""
import numpy as np

from common import f32, keras, run, tensor

ACTIVATIONS = ["linear", "relu", "relu6", "leaky_relu", "elu", "selu", "sigmoid", "hard_sigmoid",
               "tanh", "softplus", "softsign", "silu", "gelu", "exponential", "softmax"]
DEFS = {
    "linear": "x, unchanged",
    "relu": "max(x, 0)",
    "relu6": "min(max(x, 0), 6)",
    "leaky_relu": "x if x > 0, else 0.2 * x",
    "elu": "x if x > 0, else exp(x) - 1",
    "selu": "1.0507010 * (x if x > 0, else 1.6732632 * (exp(x) - 1))",
    "sigmoid": "1 / (1 + exp(-x))",
    "hard_sigmoid": "relu6(x + 3) / 6 (Keras 3's definition)",
    "tanh": "the hyperbolic tangent",
    "softplus": "log(1 + exp(x))",
    "softsign": "x / (1 + |x|)",
    "silu": "x * sigmoid(x)",
    "gelu": "x * P(X <= x) for a standard normal X: 0.5 * x * (1 + erf(x / sqrt(2))), exact",
    "exponential": "exp(x); exp(7) = 1096.63 is only good to about 1e-4 in float32",
    "softmax": "over the channels: exp(x_c) / sum of exp over the channels, per position",
}
x = f32([[-3, -0.5], [-1, 0], [0.5, 1], [2, 7]])[None]
for name in ACTIVATIONS:
    y = run(keras.layers.Activation(name), x)
    exact = name in ("linear", "relu", "relu6")
    within = "" if exact else (" within 1e-3" if name == "exponential" else " within 1e-6")
    print(f"# {name}: {DEFS[name]}.")
    print(f"layer {name} = activation(x) {{ activation = {name} }}")
    print(f"expect {name} = {tensor(y)}{within}")
    print()
