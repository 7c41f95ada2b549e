//! The two front ends. Both produce the same [`ast::Spec`](crate::ast::Spec).

pub mod conv;
pub mod toml;

use crate::ast::Spec;
use crate::diagnostic::Diagnostic;

/// Which syntax a spec is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Conv,
    Toml,
}

impl Syntax {
    /// `.toml` files are TOML; everything else is read as `.conv`.
    pub fn from_path(path: &std::path::Path) -> Syntax {
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("toml") => Syntax::Toml,
            _ => Syntax::Conv,
        }
    }
}

/// Parses a spec's text. Every syntax error is reported, with its span.
pub fn parse(text: &str, syntax: Syntax) -> Result<Spec, Vec<Diagnostic>> {
    match syntax {
        Syntax::Conv => conv::parse_conv(text),
        Syntax::Toml => toml::parse_toml(text),
    }
}
