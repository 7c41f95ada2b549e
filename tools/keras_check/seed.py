"""Expected values of the seed specs (specs/seed), computed with Keras."""
from common import f32, kernel_from_filters, run, show, keras, np

# Example 1: bump detector.
signal = f32([0, 0, 0, 1, 1, 0, 0, 0]).reshape(1, 8, 1)
k = f32([0, 1, 0]).reshape(3, 1, 1)
show("bump", run(keras.layers.Conv1D(1, 3), signal, weights=[k, [0]]))

# Example 2: vertical line.
image = np.tile(f32([0, 0, 0, 1, 1, 0, 0, 0]), (8, 1)).reshape(1, 8, 8, 1)
vline = f32([[0, 1, 0], [0, 1, 0], [0, 1, 0]])
hline = vline.T
show("vertical", run(keras.layers.Conv2D(1, 3), image, weights=[vline.reshape(3, 3, 1, 1), [0]]))

# Example 3: lines.
img = np.zeros((8, 8), np.float32)
img[:, 2] = 1
img[5, :] = 1
img = img.reshape(1, 8, 8, 1)
v = run(keras.layers.Conv2D(1, 3), img, weights=[vline.reshape(3, 3, 1, 1), [0]])
h = run(keras.layers.Conv2D(1, 3), img, weights=[hline.reshape(3, 3, 1, 1), [0]])
show("vertical", v)
show("horizontal", h)
show("lines", np.maximum(v, h))
show("both", v + h)
sv = run(keras.layers.Conv2D(1, 3, activation="relu"), img, weights=[vline.reshape(3, 3, 1, 1), [-2]])
sh = run(keras.layers.Conv2D(1, 3, activation="relu"), img, weights=[hline.reshape(3, 3, 1, 1), [-2]])
show("strict_vertical", sv)
show("strict_horizontal", sh)
show("strict_lines", np.maximum(sv, sh))
two = run(keras.layers.Conv2D(2, 3), img, weights=[kernel_from_filters([vline[..., None], hline[..., None]]), [0, 0]])
show("detectors", two)
