//! Turning pest's syntax errors into diagnostics people can act on.
//!
//! pest reports the rules it tried at the farthest position it reached. The grammar gives
//! punctuation and each kind of name a rule of its own so that this list is specific; here the
//! rules are renamed into words, grouped ("a statement" rather than four statement rules) and
//! given the context they were expected in.

use super::Rule;
use crate::ast::Span;
use crate::diagnostic::{Code, Diagnostic};
use pest::error::{Error, ErrorVariant, InputLocation};

const STATEMENT_KEYWORDS: [&str; 4] = ["input", "layer", "output", "expect"];

/// The diagnostic for a pest error on `text[offset..]`, and the error's offset in `text`.
pub(super) fn syntax_error(error: &Error<Rule>, text: &str, offset: usize) -> (Diagnostic, usize) {
    let pos = offset
        + match error.location {
            InputLocation::Pos(pos) => pos,
            InputLocation::Span((start, _)) => start,
        };
    let found = found_at(text, pos);
    let span = Span::new(pos, pos + found.len());
    let diagnostic = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => expected(positives, text, pos, found, span),
        // pest's own limits (native stack, call budget): the grammar is not recursive, so
        // only an enormous input reaches them.
        ErrorVariant::CustomError { message } => Diagnostic::error(
            Code::ParserLimit,
            span,
            format!("the spec could not be parsed: {message}"),
        )
        .with_hint("split the spec into smaller parts, or load large data with `npy`"),
    };
    (diagnostic, pos)
}

fn expected(positives: &[Rule], text: &str, pos: usize, found: &str, span: Span) -> Diagnostic {
    // The end of the file is always possible between statements; saying so adds nothing when
    // something else is expected too.
    let ends_file_only = positives.iter().all(|r| *r == Rule::EOI);
    let mut phrases: Vec<&str> = Vec::new();
    for rule in positives
        .iter()
        .filter(|r| ends_file_only || **r != Rule::EOI)
    {
        let phrase = match rule {
            Rule::string if positives.len() == 1 => "a quoted path like `\"weights.npy\"`",
            _ => describe(*rule),
        };
        if !phrase.is_empty() && !phrases.contains(&phrase) {
            phrases.push(phrase);
        }
    }
    let what = match phrases.as_slice() {
        [] => "something else".to_string(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    };
    let context = positives.iter().find_map(|rule| context(*rule));
    let found_text = describe_found(text, pos, found);
    let message = match context {
        Some(context) => format!("expected {what} {context}, found {found_text}"),
        None => format!("expected {what}, found {found_text}"),
    };
    let mut diagnostic = Diagnostic::error(Code::Syntax, span, message)
        .with_label(format!("expected {}", short(&phrases)));
    let expects = |rule| positives.contains(&rule);
    if expects(Rule::kw_input) || expects(Rule::input_decl) || expects(Rule::spec) {
        diagnostic = diagnostic.with_suggestion(found, STATEMENT_KEYWORDS);
    }
    if expects(Rule::word) && found == "(" {
        diagnostic = diagnostic
            .with_hint("tuples nest at most two deep, as in `padding = ((1, 1), (0, 2))`");
    }
    if found == "\"" {
        diagnostic = diagnostic.with_hint("a string ends with `\"` on the same line");
    }
    let is_word = !found.is_empty() && found.chars().all(|c| c.is_alphanumeric() || c == '_');
    if (expects(Rule::block) || expects(Rule::lbrace)) && is_word {
        diagnostic = diagnostic.with_hint(
            "a layer's arguments and weights go in braces: `layer x = conv2d(a) { padding = same }`",
        );
    }
    diagnostic
}

/// The first phrase alone, for the short label under the location.
fn short(phrases: &[&str]) -> String {
    match phrases {
        [] => "something else".to_string(),
        [one] => one.to_string(),
        [first, ..] => format!("{first} or ..."),
    }
}

/// A rule in words; rules that always come with another that says it better are empty.
fn describe(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "the end of the file",
        // A failure before any statement is reported as the whole `spec` failing.
        Rule::spec
        | Rule::input_decl
        | Rule::layer_decl
        | Rule::output_decl
        | Rule::expect_decl
        | Rule::kw_input
        | Rule::kw_layer
        | Rule::kw_output
        | Rule::kw_expect => "a statement (`input`, `layer`, `output` or `expect`)",
        Rule::input_name => "the input's name",
        Rule::layer_name => "the layer's name",
        Rule::op_name => "an op like `conv2d`",
        Rule::name => "a name",
        Rule::expect_name => "the name of a layer or input",
        Rule::layer_inputs => "the names it reads",
        Rule::input_shape | Rule::expect_shape => "a shape like `(1, 8, 1)`",
        Rule::kernel_shape => "a shape like `(3, 3, 1, 1)`",
        Rule::filter_shape => "a shape like `(3, 3, 1)`",
        Rule::bias_shape => "a shape like `(1,)`",
        Rule::size_tuple | Rule::size_x | Rule::size_one | Rule::size => "a size (a whole number)",
        Rule::within => "`within`",
        Rule::block | Rule::lbrace => "`{`",
        Rule::filter_clause
        | Rule::kernel_clause
        | Rule::bias_clause
        | Rule::arg
        | Rule::arg_key
        | Rule::kw_filter
        | Rule::kw_kernel
        | Rule::kw_bias => "an argument `key = value`, or a `filter`, `kernel` or `bias` clause",
        Rule::filter_name => "the filter's name",
        Rule::arg_value
        | Rule::tuple
        | Rule::inner_tuple
        | Rule::bool
        | Rule::word
        | Rule::string => {
            "a value (a word like `same`, a number, `true`, `false` or a tuple like `(3, 3)`)"
        }
        Rule::tensor
        | Rule::fill
        | Rule::npy
        | Rule::image
        | Rule::init
        | Rule::builtin
        | Rule::builtin_name => {
            "a tensor (`[ numbers ]`, `{ labelled grids }`, a number, `fill N`, `npy \"file\"`, \
             `image \"file\"`, `init NAME` or a filter like `sobel_x`)"
        }
        Rule::image_mode => "an image mode (`gray`, `rgb` or `rgba`)",
        Rule::kw_scale => "`scale`",
        Rule::matrix | Rule::row | Rule::number => "a number",
        Rule::rbracket => "`]`",
        Rule::separator => "a space, `,` or a new row after the number",
        Rule::string_text => "the closing `\"`",
        Rule::init_name => "an initializer name like `glorot_uniform`",
        Rule::seed => "a seed (a whole number)",
        Rule::grids | Rule::labelled_grid | Rule::label | Rule::axis_word => {
            "a label like `channel 0`"
        }
        Rule::label_index => "an index (a whole number)",
        Rule::eq => "`=`",
        Rule::comma => "`,`",
        Rule::colon => "`:`",
        Rule::lparen => "`(`",
        Rule::rparen => "`)`",
        Rule::rbrace => "`}`",
        Rule::kw_within => "`within`",
        Rule::kw_seed => "`seed`",
        // Statement and clause keywords are reported through their statement or clause;
        // silent rules never are.
        _ => "",
    }
}

/// Where a rule is expected, when that is not obvious from the rule itself.
fn context(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::input_shape => "after the input's name",
        Rule::expect_shape => "after the expected value's name",
        Rule::kernel_shape => "after `kernel`",
        Rule::bias_shape => "after `bias`",
        Rule::filter_name | Rule::filter_shape => "after `filter`",
        Rule::op_name => "after the layer's name and `=`",
        Rule::layer_inputs => "in the op's parentheses",
        Rule::block => "after the layer's inputs",
        Rule::row | Rule::rbracket => "in `[ ... ]`",
        Rule::labelled_grid | Rule::colon => "in labelled grids `{ channel 0: [...] ... }`",
        _ => return None,
    })
}

/// The token at `pos`: a word or number, or else one character; empty at the end.
fn found_at(text: &str, pos: usize) -> &str {
    let Some(rest) = text.get(pos..) else {
        return "";
    };
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '.';
    let len = match rest.chars().next() {
        None => 0,
        Some(c) if is_word(c) || c == '-' => {
            c.len_utf8()
                + rest[c.len_utf8()..]
                    .find(|c| !is_word(c))
                    .unwrap_or(rest.len() - c.len_utf8())
        }
        Some(c) => c.len_utf8(),
    };
    &rest[..len]
}

fn describe_found(text: &str, pos: usize, found: &str) -> String {
    match found {
        "" if pos >= text.len() => "the end of the file".to_string(),
        "" => "nothing".to_string(),
        "\n" | "\r" => "the end of the line".to_string(),
        _ if found.chars().all(|c| !c.is_control()) => format!("`{found}`"),
        _ => format!("the character {:?}", found),
    }
}
