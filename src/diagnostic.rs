//! One diagnostic type for every stage, independent of how it is rendered.
//!
//! Stages collect every problem they find into a `Vec<Diagnostic>` instead of stopping at the
//! first. Rendering (with `codespan-reporting`) happens in exactly one place, [`render`].

use crate::ast::Span;
pub use codes::Code;
use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term;

pub mod codes;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// A secondary location that explains the main one ("first declared here").
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Which kind of error (`E0101`); every kind is listed in docs/errors.md.
    pub code: Code,
    /// What is wrong, in one sentence.
    pub message: String,
    /// Where; `None` for problems that are not located in the spec (a missing file).
    pub span: Option<Span>,
    /// A short text shown under the primary location.
    pub label: String,
    /// Other relevant places.
    pub labels: Vec<Label>,
    /// What would fix it, or the arithmetic that shows why it is wrong.
    pub hints: Vec<String>,
}

impl Diagnostic {
    pub fn error(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span: Some(span),
            label: String::new(),
            labels: Vec::new(),
            hints: Vec::new(),
        }
    }

    /// An error that has no location in the spec (for example, an unreadable file).
    pub fn error_unlocated(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span: None,
            label: String::new(),
            labels: Vec::new(),
            hints: Vec::new(),
        }
    }

    pub fn warning(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, span, message)
        }
    }

    /// A warning that has no location in the spec (for example, about an output).
    pub fn warning_unlocated(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error_unlocated(code, message)
        }
    }

    /// The short text under the primary location.
    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = label.into();
        self
    }

    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hints.push(hint.into());
        self
    }

    /// Adds "did you mean `x`?" when one of `candidates` is close to `word`.
    pub fn with_suggestion<'a>(
        self,
        word: &str,
        candidates: impl IntoIterator<Item = &'a str>,
    ) -> Diagnostic {
        match suggest(word, candidates) {
            Some(best) => self.with_hint(format!("did you mean `{best}`?")),
            None => self,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The text of a diagnostic that is not located in a spec (the command line, a file):
    /// `error[E0503]: cannot write ...`, then its hints.
    pub fn render_plain(&self) -> String {
        let mut text = render("", "", std::slice::from_ref(self), false);
        // codespan ends each diagnostic with an empty line; a one-line message needs none.
        while text.ends_with("\n\n") {
            text.pop();
        }
        text
    }
}

/// The message alone; [`render`] shows a diagnostic in full.
impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// So that clap's value parsers can return a diagnostic, and the command line can show its code.
impl std::error::Error for Diagnostic {}

/// The candidate closest to `word`, if it is close enough to be a plausible misspelling.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        let score = strsim::jaro_winkler(&word.to_lowercase(), &candidate.to_lowercase());
        if score >= 0.8 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// "there is no layer named `bmp` (did you mean `bump`?); layers are bump, pool", for command
/// line options (`--layer`) that name a layer.
pub fn no_such_layer<S: AsRef<str>>(name: &str, layers: &[S]) -> String {
    let hint = layers
        .iter()
        .map(AsRef::as_ref)
        .min_by_key(|l| strsim::levenshtein(l, name))
        .filter(|l| strsim::levenshtein(l, name) <= 2)
        .map(|l| format!(" (did you mean `{l}`?)"))
        .unwrap_or_default();
    let all: Vec<&str> = layers.iter().map(AsRef::as_ref).collect();
    format!(
        "there is no layer named `{name}`{hint}; layers are {}",
        all.join(", ")
    )
}

/// Renders diagnostics as text, with the file name, line, column and the source line.
///
/// `color` selects ANSI colours (for a terminal); snapshots and pipes use plain text.
pub fn render(path: &str, source: &str, diagnostics: &[Diagnostic], color: bool) -> String {
    let file = SimpleFile::new(path, source);
    let config = term::Config::default();
    let mut out = String::new();
    for diagnostic in diagnostics {
        let rendered = to_codespan(diagnostic, source.len());
        let text = if color {
            let mut buffer = term::termcolor::Buffer::ansi();
            match term::emit_to_write_style(&mut buffer, &config, &file, &rendered) {
                Ok(()) => String::from_utf8_lossy(buffer.as_slice()).into_owned(),
                Err(e) => format!(
                    "error[{}]: {} (and the diagnostic could not be shown: {e})\n",
                    diagnostic.code, diagnostic.message
                ),
            }
        } else {
            match term::emit_into_string(&config, &file, &rendered) {
                Ok(text) => text,
                Err(e) => format!(
                    "error[{}]: {} (and the diagnostic could not be shown: {e})\n",
                    diagnostic.code, diagnostic.message
                ),
            }
        };
        out.push_str(&text);
    }
    out
}

fn to_codespan(diagnostic: &Diagnostic, source_len: usize) -> cs::Diagnostic<()> {
    let clamp = |span: Span| {
        let start = span.start.min(source_len);
        start..span.end.clamp(start, source_len)
    };
    let mut out = match diagnostic.severity {
        Severity::Error => cs::Diagnostic::error(),
        Severity::Warning => cs::Diagnostic::warning(),
    }
    .with_code(diagnostic.code.as_str())
    .with_message(&diagnostic.message);
    let mut labels = Vec::new();
    if let Some(span) = diagnostic.span {
        labels.push(cs::Label::primary((), clamp(span)).with_message(&diagnostic.label));
    }
    for label in &diagnostic.labels {
        labels.push(cs::Label::secondary((), clamp(label.span)).with_message(&label.message));
    }
    out = out.with_labels(labels);
    out.with_notes(
        diagnostic
            .hints
            .iter()
            .map(|h| format!("help: {h}"))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_words_only() {
        let ops = ["conv1d", "conv2d", "max_pooling2d"];
        assert_eq!(suggest("conv2", ops), Some("conv2d"));
        assert_eq!(suggest("max_pool2d", ops), Some("max_pooling2d"));
        assert_eq!(suggest("banana", ops), None);
    }

    #[test]
    fn renders_file_line_and_column() {
        let source = "input x (1, 8, 1) = [0 1]\n";
        let d = Diagnostic::error(
            Code::DataLength,
            Span::new(20, 25),
            "data has 2 values, but shape (1, 8, 1) needs 8",
        )
        .with_label("2 values")
        .with_hint("write 8 values, or change the shape");
        let text = render("bump.conv", source, &[d], false);
        assert!(text.contains("error[E0308]: data has 2 values"), "{text}");
        assert!(text.contains("bump.conv:1:21"), "{text}");
        assert!(text.contains("help: write 8 values"), "{text}");
    }

    #[test]
    fn plain_diagnostics_carry_their_code_and_hints() {
        let d = Diagnostic::error_unlocated(Code::NoSpecs, "no .conv or .toml specs found in x")
            .with_hint("give spec files");
        assert_eq!(
            d.render_plain(),
            "error[E0508]: no .conv or .toml specs found in x\n = help: give spec files\n"
        );
        let w = Diagnostic::warning_unlocated(Code::DeadMap, "`y` channel 1 is all zero");
        assert_eq!(
            w.render_plain(),
            "warning[W0001]: `y` channel 1 is all zero\n"
        );
    }
}
