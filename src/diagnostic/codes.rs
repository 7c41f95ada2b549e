//! Every error convc reports has a code, defined here once, with a one-line title.
//!
//! `docs/errors.md` has one entry per code (an example that triggers it and the fix), and
//! `tests/errors_doc.rs` checks that the two lists agree and that every example triggers its
//! code. To add an error: add a line here, in its stage's range, with the next free number
//! (never reuse a retired number), pass it to the `Diagnostic` constructor, and add the entry
//! to `docs/errors.md` with an example (an `err_*` spec in `specs/errors/`, or a command line).
//!
//! Ranges: E00xx the syntax of either front end; E01xx names and the graph; E02xx layers,
//! arguments and shapes; E03xx values, tensors and the files they come from; E04xx limits;
//! E05xx the command line and the files convc reads and writes for it; E06xx the JIT and the
//! host; E09xx internal errors (bugs in convc, no example). W-codes are warnings.

use std::fmt;

macro_rules! codes {
    ($($name:ident = $code:literal, $title:literal;)*) => {
        /// The code of one kind of error, rendered `error[E0101]: ...`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $(#[doc = $title] $name,)*
        }

        impl Code {
            /// Every code, in the order of its number.
            pub const ALL: &'static [Code] = &[$(Code::$name,)*];

            /// `E0101`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$name => $code,)*
                }
            }

            /// What kind of error it is, in a few words (the heading in docs/errors.md).
            pub fn title(self) -> &'static str {
                match self {
                    $(Code::$name => $title,)*
                }
            }
        }
    };
}

codes! {
    // E00xx: syntax.
    Syntax = "E0001", "the .conv text does not follow the grammar";
    EmptySpec = "E0003", "the spec declares nothing";
    TomlSyntax = "E0010", "the TOML text is not valid TOML";
    TomlType = "E0011", "a TOML value has the wrong type";
    TomlUnknownKey = "E0012", "a TOML table has a key convc does not know";
    TomlListOfTables = "E0013", "a TOML key needs a list of tables";
    TomlListOfNames = "E0014", "a TOML key needs a list of names";
    TomlMissingKey = "E0015", "a TOML table lacks a key it needs";
    TomlTableKey = "E0016", "a layer key holds a table where it may not";
    TensorTwoValues = "E0017", "a tensor literal gives its values twice";
    TensorNoValue = "E0018", "a tensor literal gives no values";
    TensorKeyAlone = "E0019", "a tensor key is given without the key it belongs to";
    NumberTooLarge = "E0021", "an integer is too large";
    NegativeNumber = "E0022", "a count or size is negative";
    DuplicateClause = "E0023", "a layer has a clause twice";
    KernelAndFilters = "E0024", "a layer has both a kernel and filter clauses";
    ImageMode = "E0025", "an image mode convc does not know";
    LabelAxis = "E0026", "a grid label names an axis that does not exist";
    LabelTwice = "E0027", "a grid label names an axis twice";
    // E01xx: names and the graph.
    InvalidName = "E0100", "a name is not a valid name";
    DuplicateName = "E0101", "a name is declared twice";
    UnknownName = "E0102", "a name refers to nothing";
    Cycle = "E0103", "the layers form a cycle";
    NoInputs = "E0104", "a layer reads nothing";
    UnknownOp = "E0105", "an op convc does not know";
    OverrideTwice = "E0106", "`--input` names an input twice";
    OverrideUnknown = "E0107", "`--input` names no input of the spec";
    // E02xx: layers, arguments and shapes.
    DuplicateArgument = "E0200", "an argument is given twice";
    UnknownArgument = "E0201", "an op has no such argument";
    NotPositive = "E0202", "an argument must be a positive integer";
    NotBool = "E0203", "an argument must be true or false";
    UnknownChoice = "E0204", "an argument's word is not one of its choices";
    CausalNot1d = "E0205", "causal padding on a layer that is not 1-D";
    ExplicitPadding = "E0206", "explicit padding is not one pair per spatial axis";
    NoWeights = "E0207", "weights given to a layer that has none";
    InputCount = "E0208", "a layer reads the wrong number of inputs";
    NeedsActivation = "E0209", "an activation layer names no activation";
    RankMismatch = "E0210", "an input has the wrong rank for the layer";
    EmptyOutput = "E0211", "a window does not fit: the output would be empty";
    PoolInPadding = "E0212", "a pooling window lies entirely in the padding";
    MergeShapes = "E0213", "merged tensors differ in shape";
    ConcatenateShapes = "E0214", "concatenated tensors differ in a spatial axis";
    NeedsFilters = "E0215", "a convolution does not say how many filters";
    NeedsKernelSize = "E0216", "a convolution does not say its kernel size";
    FilterCount = "E0217", "the filter clauses do not match `filters`";
    Groups = "E0218", "`groups` does not divide the channels and the filters";
    ReflectTooSmall = "E0219", "reflect padding needs padding smaller than the input";
    BiasWithoutUseBias = "E0220", "a bias on a layer with `use_bias = false`";
    FilterRank = "E0221", "a 2-D built-in filter on a convolution that is not 2-D";
    ImageWeights = "E0222", "weights or expectations read from an image";
    // E03xx: values, tensors and their files.
    NeedsShape = "E0300", "a tensor needs a shape";
    InputRank = "E0301", "an input has too few or too many axes";
    ZeroDimension = "E0302", "a dimension of size 0";
    ShapeMismatch = "E0303", "a tensor's declared shape is not the shape it must have";
    UnknownInitializer = "E0304", "an initializer convc does not know";
    NotFromFile = "E0306", "this tensor cannot come from a file or an initializer";
    NpyShape = "E0307", "a .npy array has the wrong shape";
    DataLength = "E0308", "the number of values does not match the shape";
    RowLength = "E0309", "the rows of a grid differ in length";
    DuplicateGrid = "E0310", "a labelled grid is given twice";
    MissingGrid = "E0311", "a labelled grid is missing";
    LabelNoAxis = "E0312", "a label names an axis the tensor does not have";
    LabelRange = "E0313", "a label's index is out of range";
    NeedsLabel = "E0314", "a grid needs a label";
    UnknownFilter = "E0315", "a built-in filter convc does not know";
    FilterArguments = "E0316", "a built-in filter's arguments are invalid";
    FilterSize = "E0317", "a built-in filter's size does not fit the tensor";
    GridSize = "E0318", "a grid's size does not fit the tensor";
    Tolerance = "E0319", "a tolerance is negative or not finite";
    ImageScale = "E0320", "an image's scale is not finite";
    ImageShape = "E0321", "an image's declared shape is not the picture's";
    ImageSizes = "E0322", "the images of one batch differ in size";
    NoFiles = "E0323", "an image pattern matches no files";
    BadGlob = "E0324", "an image pattern is not a valid glob";
    CannotOpen = "E0325", "a file the spec names cannot be opened";
    BadImage = "E0326", "a file is not a readable image";
    BadNpy = "E0327", "a file is not a usable .npy array";
    BadPath = "E0328", "a file path holds quotes or line breaks";
    // E04xx: limits.
    MemoryLimit = "E0400", "the run would exceed the memory limit";
    TooLarge = "E0401", "a size is too large to count";
    SpecTooLarge = "E0402", "the spec file is larger than the memory limit";
    Interrupted = "E0403", "the run was interrupted";
    TimedOut = "E0404", "the run took longer than `--timeout`";
    // E05xx: the command line and its files.
    CannotReadSpec = "E0500", "the spec file cannot be read";
    SpecIsDirectory = "E0501", "the spec path is a directory";
    NotUtf8 = "E0502", "the spec file is not UTF-8 text";
    CannotWrite = "E0503", "an output file cannot be written";
    CannotCreateFolder = "E0504", "an output folder cannot be created";
    NotAFileName = "E0505", "an output path is not a file name";
    NoSuchPath = "E0507", "a path given to `convc test` does not exist";
    NoSpecs = "E0508", "`convc test` found no specs";
    CannotReadSnapshot = "E0509", "a snapshot cannot be read";
    BrokenSnapshot = "E0510", "a snapshot file is broken";
    UnknownLayerOption = "E0511", "`--layer` names no layer";
    Position = "E0512", "`--at` is not a position in the layer";
    BenchThreads = "E0513", "`--threads` does not suit the backend";
    NotASize = "E0514", "`--max-memory` is not a size";
    NotATolerance = "E0515", "`--tolerance` is not a tolerance";
    NotNameFile = "E0516", "`--input` is not NAME=FILE";
    // E06xx: the JIT and the host.
    HostUnsupported = "E0600", "the JIT cannot generate code for this machine";
    JitUnsupported = "E0601", "the JIT cannot compile this layer";
    NoThreads = "E0602", "the JIT's worker threads cannot be started";
    // E09xx: internal errors (bugs in convc).
    Internal = "E0900", "internal error in the parser or the checker";
    CraneliftRejected = "E0901", "internal error: Cranelift rejected the generated code";
    ParserLimit = "E0902", "internal error: the parser reached one of pest's limits";
    InternalOutputName = "E0903", "internal error: a tensor's name cannot be a file name";
    Encode = "E0904", "internal error: an output could not be encoded";
    // Warnings.
    DeadMap = "W0001", "a feature map is all zero";
}

impl Code {
    /// Internal errors are bugs in convc: documented, but no example can trigger them.
    pub fn is_internal(self) -> bool {
        self.as_str().starts_with("E09")
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_well_formed_unique_and_in_order() {
        let mut previous = "";
        for code in Code::ALL {
            let text = code.as_str();
            assert!(
                text.len() == 5
                    && (text.starts_with('E') || text.starts_with('W'))
                    && text[1..].bytes().all(|b| b.is_ascii_digit()),
                "{text}"
            );
            // Sorted, so the next free number of a range is plain to see; strictly, so unique.
            assert!(
                previous.is_empty() || previous[..1] != text[..1] || previous < text,
                "{previous} then {text}"
            );
            previous = text;
            assert!(!code.title().is_empty());
        }
    }
}
