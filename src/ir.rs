//! The checked model: what the interpreter (and the JIT) run.
//!
//! **Invariant:** a `Model` is fully resolved and consistent. Names are resolved to indices,
//! values are in topological order (every layer reads only values before it), every shape is
//! concrete, every tensor holds exactly `product(shape)` `f32`s, every window geometry has been
//! computed by [`crate::geometry::resolve_axis`], and the total memory a run needs has been
//! checked against the limit. Backends never re-validate; a backend that finds an
//! inconsistency has found a bug in `check`.

use crate::geometry::AxisGeometry;

/// Index into [`Model::values`].
pub type ValueId = usize;

/// A dense float32 tensor, row-major, channels-last.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

impl Tensor {
    pub fn zeros(shape: Vec<usize>) -> Tensor {
        let len = shape.iter().product();
        Tensor {
            shape,
            data: vec![0.0; len],
        }
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// Inputs first (in declaration order), then layers in a topological order that keeps the
    /// declaration order where the graph allows.
    pub values: Vec<Value>,
    /// What `run` prints: never empty.
    pub outputs: Vec<ValueId>,
    pub expects: Vec<Expect>,
}

impl Model {
    pub fn find(&self, name: &str) -> Option<ValueId> {
        self.values.iter().position(|v| v.name == name)
    }

    /// Weights and biases, as Keras's `count_params` counts them.
    pub fn parameter_count(&self) -> usize {
        self.values.iter().map(Value::parameter_count).sum()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub name: String,
    pub shape: Vec<usize>,
    pub kind: ValueKind,
}

impl Value {
    pub fn parameter_count(&self) -> usize {
        match &self.kind {
            ValueKind::Layer(Layer {
                op: Op::Conv(conv), ..
            }) => conv.kernel.len() + conv.bias.as_ref().map_or(0, Vec::len),
            _ => 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ValueKind {
    Input(Tensor),
    Layer(Layer),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// The op as the user wrote it (`depthwise_conv2d`), for display.
    pub op_name: String,
    pub inputs: Vec<ValueId>,
    pub op: Op,
}

/// A closed set of layer kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// `conv1d/2d/3d`, and `depthwise_conv1d/2d` (as a grouped convolution, see [`Conv`]).
    Conv(Conv),
    /// `max_pooling*` and `average_pooling*`.
    Pool(Pool),
    /// `global_*_pooling*`.
    GlobalPool(GlobalPool),
    /// The `activation` layer.
    Activation(Activation),
    /// `add`, `subtract`, `multiply`, `maximum`, `minimum`, `average`.
    Merge(MergeKind),
    /// `concatenate`, on the channel (last) axis.
    Concatenate,
}

/// A convolution over 1, 2 or 3 spatial axes.
///
/// Input `(batch, spatial..., in_channels)`, output `(batch, out_spatial..., filters)`. The
/// kernel is in Keras layout `kernel_size + (in_channels / groups, filters)`. Output channel `f`
/// belongs to group `g = f / (filters / groups)` and reads input channels
/// `g * (in_channels / groups) ..`.
///
/// A depthwise convolution with multiplier `m` over `C` channels is exactly this with
/// `groups = C`, `filters = C * m`: Keras's depthwise kernel `(k..., C, m)` has the same
/// row-major layout as `(k..., 1, C * m)`, with output channel `c * m + j`.
#[derive(Debug, Clone, PartialEq)]
pub struct Conv {
    /// One per spatial axis, outermost first.
    pub axes: Vec<AxisGeometry>,
    pub in_channels: usize,
    pub filters: usize,
    pub groups: usize,
    pub kernel: Vec<f32>,
    pub bias: Option<Vec<f32>>,
    pub activation: Activation,
    /// What padded cells read.
    pub padding_mode: PaddingMode,
    /// `Some(m)` for a depthwise layer with depth multiplier `m` (for display only).
    pub depth_multiplier: Option<usize>,
    /// Optional names of the filters (output channels), as written filter by filter.
    pub filter_names: Vec<Option<String>>,
}

impl Conv {
    pub fn kernel_size(&self) -> Vec<usize> {
        self.axes.iter().map(|a| a.kernel).collect()
    }

    pub fn channels_per_group(&self) -> usize {
        self.in_channels / self.groups
    }

    pub fn filters_per_group(&self) -> usize {
        self.filters / self.groups
    }
}

/// What a padded cell of a convolution's input reads, PyTorch's `padding_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaddingMode {
    /// Zero.
    Zeros,
    /// The cell mirrored at the border, without repeating it: `d c b | a b c d | c b a`.
    Reflect,
    /// The border cell: `a a | a b c d | d d`.
    Replicate,
    /// The input wrapped around: `c d | a b c d | a b`.
    Circular,
}

impl PaddingMode {
    pub const ALL: [PaddingMode; 4] = [
        PaddingMode::Zeros,
        PaddingMode::Reflect,
        PaddingMode::Replicate,
        PaddingMode::Circular,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PaddingMode::Zeros => "zeros",
            PaddingMode::Reflect => "reflect",
            PaddingMode::Replicate => "replicate",
            PaddingMode::Circular => "circular",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolKind {
    Max,
    Average,
}

/// Max or average pooling. Padded cells never take part: max ignores them, average divides by
/// the number of real cells in the window (as Keras does).
#[derive(Debug, Clone, PartialEq)]
pub struct Pool {
    pub kind: PoolKind,
    pub axes: Vec<AxisGeometry>,
}

/// Reduces every spatial axis: `(batch, spatial..., c)` to `(batch, c)`, or to
/// `(batch, 1..., c)` with `keepdims`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GlobalPool {
    pub kind: PoolKind,
    pub keepdims: bool,
}

/// Keras 3's activations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    Linear,
    Relu,
    Relu6,
    /// Negative slope 0.2.
    LeakyRelu,
    Elu,
    Selu,
    Sigmoid,
    /// Keras 3: `relu6(x + 3) / 6`.
    HardSigmoid,
    Tanh,
    Softplus,
    Softsign,
    Silu,
    /// Exact, erf-based.
    Gelu,
    Exponential,
    /// Over the channel (last) axis.
    Softmax,
}

impl Activation {
    pub const ALL: [Activation; 15] = [
        Activation::Linear,
        Activation::Relu,
        Activation::Relu6,
        Activation::LeakyRelu,
        Activation::Elu,
        Activation::Selu,
        Activation::Sigmoid,
        Activation::HardSigmoid,
        Activation::Tanh,
        Activation::Softplus,
        Activation::Softsign,
        Activation::Silu,
        Activation::Gelu,
        Activation::Exponential,
        Activation::Softmax,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Activation::Linear => "linear",
            Activation::Relu => "relu",
            Activation::Relu6 => "relu6",
            Activation::LeakyRelu => "leaky_relu",
            Activation::Elu => "elu",
            Activation::Selu => "selu",
            Activation::Sigmoid => "sigmoid",
            Activation::HardSigmoid => "hard_sigmoid",
            Activation::Tanh => "tanh",
            Activation::Softplus => "softplus",
            Activation::Softsign => "softsign",
            Activation::Silu => "silu",
            Activation::Gelu => "gelu",
            Activation::Exponential => "exponential",
            Activation::Softmax => "softmax",
        }
    }

    pub fn from_name(name: &str) -> Option<Activation> {
        Activation::ALL.into_iter().find(|a| a.name() == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeKind {
    Add,
    /// Exactly two inputs: first minus second.
    Subtract,
    Multiply,
    Maximum,
    Minimum,
    Average,
}

impl MergeKind {
    pub fn name(self) -> &'static str {
        match self {
            MergeKind::Add => "add",
            MergeKind::Subtract => "subtract",
            MergeKind::Multiply => "multiply",
            MergeKind::Maximum => "maximum",
            MergeKind::Minimum => "minimum",
            MergeKind::Average => "average",
        }
    }
}

/// A checked `expect`: the value the named layer or input must have.
#[derive(Debug, Clone, PartialEq)]
pub struct Expect {
    pub value: ValueId,
    pub expected: Tensor,
    pub within: Tolerance,
    /// Where the expectation was written (for messages).
    pub span: crate::ast::Span,
}

/// How close an actual value must be to an expected one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tolerance {
    /// Equal to float32 rounding: `|actual - expected| <= 1e-6 * max(1, |expected|)`, which
    /// lets a hand-written decimal such as `0.1111111` match `1/9` computed in float32.
    Default,
    /// `|actual - expected| <= within` (`expect ... within 0.001`).
    Absolute(f32),
}

impl Tolerance {
    /// Whether `actual` is close enough to `expected`. NaN matches NaN, and infinities must be
    /// equal.
    pub fn accepts(self, expected: f32, actual: f32) -> bool {
        if expected.is_nan() || actual.is_nan() {
            return expected.is_nan() && actual.is_nan();
        }
        if expected.is_infinite() || actual.is_infinite() {
            return expected == actual;
        }
        let diff = (f64::from(actual) - f64::from(expected)).abs();
        match self {
            Tolerance::Default => diff <= 1e-6 * f64::from(expected).abs().max(1.0),
            Tolerance::Absolute(within) => diff <= f64::from(within),
        }
    }
}
