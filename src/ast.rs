//! The abstract syntax tree shared by both front ends.
//!
//! `parse::conv` (the `.conv` language) and `parse::toml` (the TOML form) both produce an
//! [`Spec`]; nothing after parsing knows which syntax a spec was written in. Every node that a
//! diagnostic may point at carries a [`Span`] into the spec's source text.
//!
//! The AST keeps what the user wrote, not what it means: sizes are unchecked `u64`, numbers are
//! the `f64` read from the text (converted to `f32` only by the checker, exactly as NumPy's
//! `np.float32(float(text))` would), layer arguments are untyped key/value pairs and tensors may
//! still be labelled grids whose placement depends on shapes the checker computes.

use std::ops::Range;

/// A byte range in the spec's source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn join(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn range(self) -> Range<usize> {
        self.start..self.end
    }
}

impl From<Range<usize>> for Span {
    fn from(r: Range<usize>) -> Span {
        Span {
            start: r.start,
            end: r.end,
        }
    }
}

/// A value together with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Spanned<T> {
        Spanned { value, span }
    }
}

/// A name: of an input, a layer, a filter, an op, an argument key.
pub type Ident = Spanned<String>;

/// A whole spec file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Spec {
    pub inputs: Vec<InputDecl>,
    /// In the order written. Layers may name layers declared later (the checker sorts them).
    pub layers: Vec<LayerDecl>,
    /// `None` when the spec names no outputs: then the last layer is the output.
    pub outputs: Option<Vec<Ident>>,
    pub expects: Vec<ExpectDecl>,
}

/// `input signal (1, 8, 1) = [0 0 0 1 1 0 0 0]` / `[inputs.signal] shape = ..., data = ...`.
#[derive(Debug, Clone, PartialEq)]
pub struct InputDecl {
    pub name: Ident,
    pub tensor: TensorLit,
    /// The whole declaration.
    pub span: Span,
}

/// A layer: `layer bump = conv1d(signal) { ... }` / one `[[layers]]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerDecl {
    pub name: Ident,
    /// The op as written (`conv1d`, `max_pooling2d`, ...); the checker validates it.
    pub op: Ident,
    /// The inputs or layers this layer reads, in order.
    pub inputs: Vec<Ident>,
    /// Every `key = value` argument other than tensors, in the order written.
    pub args: Vec<Arg>,
    /// `kernel = ...`: the whole kernel in Keras layout.
    pub kernel: Option<TensorLit>,
    /// `filter NAME = ...`, one per filter, in output-channel order. A layer has either a
    /// `kernel` or a `filter_list` (the checker reports both), or neither when `kernel` defaults.
    pub filter_list: Vec<FilterDecl>,
    /// `bias = ...`.
    pub bias: Option<TensorLit>,
    /// The whole declaration.
    pub span: Span,
}

/// One `key = value` argument of a layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    pub key: Ident,
    pub value: Spanned<ArgValue>,
}

/// An argument value, untyped until the checker reads it for a given op and key.
#[derive(Debug, Clone, PartialEq)]
pub enum ArgValue {
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A bare word or a string: `same`, `"relu"`.
    Word(String),
    /// `(3, 3)`, `3x3`, `[3, 3]` in TOML, `((1, 1), (0, 2))`.
    Tuple(Vec<Spanned<ArgValue>>),
}

/// One filter of a layer written filter by filter: `filter vertical = vertical_line`.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterDecl {
    pub name: Option<Ident>,
    /// The filter's weights: shape `kernel_size + (in_channels / groups,)`. Usually `Numbers`,
    /// `Builtin` or `Grids` labelled by `channel` (and `depth` for 3D).
    pub tensor: TensorLit,
    pub span: Span,
}

/// `expect bump = [0 0 1 1 0 0] within 1e-6`.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectDecl {
    /// The layer or input whose value is expected.
    pub name: Ident,
    pub tensor: TensorLit,
    /// Absolute tolerance per value; `None` means the default (see `check`).
    pub within: Option<Spanned<f64>>,
    pub span: Span,
}

/// A tensor as written: an optional declared shape and a value.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorLit {
    /// `(1, 8, 1)` in `.conv`, `shape = [1, 8, 1]` in TOML.
    pub shape: Option<Spanned<Vec<u64>>>,
    pub value: Spanned<TensorValue>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TensorValue {
    /// `[0 1 0]`, or a matrix written row by row; flat row-major data in TOML. The rows are
    /// only a visual aid: the data is the rows concatenated, in row-major order.
    Numbers(Grid),
    /// `{ channel 0: [...]  channel 1: sobel_x }`: one 2-D grid per combination of the other
    /// axes, each placed by its labels.
    Grids(Vec<LabelledGrid>),
    /// A hand-crafted filter by name: `sobel_x`, `gaussian(5, 1.2)`.
    Builtin(Builtin),
    /// `fill 0.5` (or a bare number): every element the same.
    Fill(Spanned<f64>),
    /// `npy "weights.npy"`: a NumPy file, relative to the spec's directory.
    Npy(Spanned<String>),
    /// `init glorot_uniform seed 7`: a Keras initializer, deterministic for a seed.
    Init(Init),
    /// `image "cat.png" rgb scale 0.0039`: a picture (or a sorted glob of pictures, one per
    /// batch element), relative to the spec's directory. Only an input's value.
    Image(Image),
}

/// Numbers written as rows. A 1-D row is one row; TOML data is one row.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    pub rows: Vec<Spanned<Vec<f64>>>,
    pub span: Span,
}

impl Grid {
    /// All values, rows concatenated.
    pub fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.rows.iter().flat_map(|row| row.value.iter().copied())
    }

    pub fn len(&self) -> usize {
        self.rows.iter().map(|row| row.value.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `batch 0, channel 2: [ ... ]`.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledGrid {
    pub labels: Vec<GridLabel>,
    pub value: GridValue,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum GridValue {
    Numbers(Grid),
    Builtin(Builtin),
}

/// One `axis index` part of a grid's label.
#[derive(Debug, Clone, PartialEq)]
pub struct GridLabel {
    pub axis: Spanned<LabelAxis>,
    pub index: Spanned<u64>,
}

/// The axes a grid label may name. The two axes of the grid itself are always the last two
/// spatial axes (rows, cols), or the single spatial axis of 1-D data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LabelAxis {
    Batch,
    Depth,
    Channel,
    Filter,
}

impl LabelAxis {
    pub fn keyword(self) -> &'static str {
        match self {
            LabelAxis::Batch => "batch",
            LabelAxis::Depth => "depth",
            LabelAxis::Channel => "channel",
            LabelAxis::Filter => "filter",
        }
    }
}

/// A named hand-crafted filter with its numeric arguments: `box(5)`, `gaussian(5, 1.5)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Builtin {
    pub name: Ident,
    pub args: Vec<Spanned<f64>>,
    pub span: Span,
}

/// `init NAME seed N`.
#[derive(Debug, Clone, PartialEq)]
pub struct Init {
    pub name: Ident,
    pub seed: Option<Spanned<u64>>,
    pub span: Span,
}

/// `image "frames/*.png" gray scale 0.00392156862745098`. `mode` and `scale` stay `None` when
/// not written, so that `convert` writes back exactly what the user wrote; the checker applies
/// the defaults ([`ImageMode::DEFAULT`], scale 1: raw 0..255 values).
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// A file, or a glob pattern (`*`, `?`, `[...]`) naming a batch of files.
    pub path: Spanned<String>,
    pub mode: Option<Spanned<ImageMode>>,
    pub scale: Option<Spanned<f64>>,
    pub span: Span,
}

/// How a picture's pixels become channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageMode {
    /// One channel: luma, as PIL's `convert("L")` (ITU-R 601-2) computes it.
    Gray,
    Rgb,
    Rgba,
}

impl ImageMode {
    /// Filter banks (edges, lines, blurs) are written for one channel, so that is the default.
    pub const DEFAULT: ImageMode = ImageMode::Gray;
    pub const NAMES: [&'static str; 3] = ["gray", "rgb", "rgba"];

    pub fn keyword(self) -> &'static str {
        match self {
            ImageMode::Gray => "gray",
            ImageMode::Rgb => "rgb",
            ImageMode::Rgba => "rgba",
        }
    }

    pub fn from_keyword(word: &str) -> Option<ImageMode> {
        match word {
            "gray" => Some(ImageMode::Gray),
            "rgb" => Some(ImageMode::Rgb),
            "rgba" => Some(ImageMode::Rgba),
            _ => None,
        }
    }

    pub fn channels(self) -> usize {
        match self {
            ImageMode::Gray => 1,
            ImageMode::Rgb => 3,
            ImageMode::Rgba => 4,
        }
    }
}
