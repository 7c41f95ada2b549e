//! Reading a layer's untyped `key = value` arguments as the op expects them.
//!
//! Every getter reports a problem as a diagnostic and returns `None`; the caller goes on
//! checking the other arguments so that one run shows every mistake.

use crate::ast::{Arg, ArgValue, Span, Spanned};
use crate::diagnostic::{Code, Diagnostic};
use crate::geometry::AxisPadding;
use crate::ir::{Activation, PaddingMode};

/// Every argument any op takes, for "not an argument of this op" messages.
pub const ALL_KEYS: &[&str] = &[
    "filters",
    "kernel_size",
    "strides",
    "padding",
    "padding_mode",
    "dilation_rate",
    "groups",
    "depth_multiplier",
    "activation",
    "use_bias",
    "pool_size",
    "keepdims",
];

/// A layer's arguments, looked up by key.
pub struct Args<'a> {
    args: &'a [Arg],
    /// Names the layer in messages: "`edges` (conv2d)".
    layer: String,
    /// Whether a key was unknown or repeated.
    had_errors: bool,
}

impl<'a> Args<'a> {
    /// Checks that every key is allowed for this op and given once.
    pub fn new(
        args: &'a [Arg],
        layer: String,
        op: &str,
        allowed: &[&str],
        diags: &mut Vec<Diagnostic>,
    ) -> Args<'a> {
        for (i, arg) in args.iter().enumerate() {
            let key = arg.key.value.as_str();
            if let Some(first) = args[..i].iter().find(|a| a.key.value == key) {
                diags.push(
                    Diagnostic::error(
                        Code::DuplicateArgument,
                        arg.key.span,
                        format!("`{key}` is given twice"),
                    )
                    .with_secondary(first.key.span, "first given here")
                    .with_hint("remove one of them"),
                );
            } else if !allowed.contains(&key) {
                let d = Diagnostic::error(
                    Code::UnknownArgument,
                    arg.key.span,
                    format!("`{op}` has no argument `{key}`"),
                );
                let d = if ALL_KEYS.contains(&key) {
                    d.with_hint(format!(
                        "`{key}` belongs to other ops; `{op}` takes {}",
                        list(allowed)
                    ))
                } else {
                    match crate::diagnostic::suggest(key, allowed.iter().copied()) {
                        Some(best) => d.with_hint(format!("did you mean `{best}`?")),
                        None => d.with_hint(format!("`{op}` takes {}", list(allowed))),
                    }
                };
                diags.push(d.with_label("unknown argument"));
            }
        }
        let had_errors = args.iter().enumerate().any(|(i, a)| {
            !allowed.contains(&a.key.value.as_str())
                || args[..i].iter().any(|b| b.key.value == a.key.value)
        });
        Args {
            args,
            layer,
            had_errors,
        }
    }

    /// Whether every key was known and given once: when one was not, "needs `kernel_size`"
    /// would only repeat the misspelling already reported.
    pub fn keys_ok(&self) -> bool {
        !self.had_errors
    }

    fn get(&self, key: &str) -> Option<&'a Spanned<ArgValue>> {
        self.args
            .iter()
            .find(|a| a.key.value == key)
            .map(|a| &a.value)
    }

    pub fn span(&self, key: &str) -> Option<Span> {
        self.get(key).map(|v| v.span)
    }

    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// A positive integer.
    pub fn positive(&self, key: &str, diags: &mut Vec<Diagnostic>) -> Option<usize> {
        let value = self.get(key)?;
        match positive_int(value) {
            Ok(n) => Some(n),
            Err(what) => {
                diags.push(
                    Diagnostic::error(
                        Code::NotPositive,
                        value.span,
                        format!(
                            "`{key}` of {} must be a positive integer, not {what}",
                            self.layer
                        ),
                    )
                    .with_label("expected a positive integer"),
                );
                None
            }
        }
    }

    /// A size per spatial axis: one positive integer for all axes, or a tuple of `n` of them.
    pub fn sizes(&self, key: &str, n: usize, diags: &mut Vec<Diagnostic>) -> Option<Vec<usize>> {
        let value = self.get(key)?;
        let error = |diags: &mut Vec<Diagnostic>, what: String| {
            diags.push(
                Diagnostic::error(
                    Code::NotPositive,
                    value.span,
                    format!(
                        "`{key}` of {} must be a positive integer or {n} of them, not {what}",
                        self.layer
                    ),
                )
                .with_hint(format!(
                    "write `{key} = 3` or `{key} = {}`",
                    example_tuple(n)
                )),
            );
        };
        match &value.value {
            ArgValue::Tuple(items) => {
                if items.len() != n {
                    error(diags, format!("{} values", items.len()));
                    return None;
                }
                let mut out = Vec::with_capacity(n);
                for item in items {
                    match positive_int(item) {
                        Ok(x) => out.push(x),
                        Err(what) => {
                            error(diags, what);
                            return None;
                        }
                    }
                }
                Some(out)
            }
            _ => match positive_int(value) {
                Ok(x) => Some(vec![x; n]),
                Err(what) => {
                    error(diags, what);
                    None
                }
            },
        }
    }

    pub fn boolean(&self, key: &str, diags: &mut Vec<Diagnostic>) -> Option<bool> {
        let value = self.get(key)?;
        match &value.value {
            ArgValue::Bool(b) => Some(*b),
            other => {
                diags.push(Diagnostic::error(
                    Code::NotBool,
                    value.span,
                    format!(
                        "`{key}` of {} must be `true` or `false`, not {}",
                        self.layer,
                        describe(other)
                    ),
                ));
                None
            }
        }
    }

    /// One of a closed set of words.
    fn word(
        &self,
        key: &str,
        choices: &[&str],
        diags: &mut Vec<Diagnostic>,
    ) -> Option<(&'a str, Span)> {
        let value = self.get(key)?;
        match &value.value {
            ArgValue::Word(w) if choices.contains(&w.as_str()) => Some((w.as_str(), value.span)),
            ArgValue::Word(w) => {
                diags.push(
                    Diagnostic::error(
                        Code::UnknownChoice,
                        value.span,
                        format!("unknown {key} `{w}`"),
                    )
                    .with_label(format!("not one of {}", list(choices)))
                    .with_suggestion(w, choices.iter().copied()),
                );
                None
            }
            other => {
                diags.push(Diagnostic::error(
                    Code::UnknownChoice,
                    value.span,
                    format!(
                        "`{key}` of {} must be one of {}, not {}",
                        self.layer,
                        list(choices),
                        describe(other)
                    ),
                ));
                None
            }
        }
    }

    pub fn activation(&self, diags: &mut Vec<Diagnostic>) -> Option<Activation> {
        let names: Vec<&str> = Activation::ALL.iter().map(|a| a.name()).collect();
        self.word("activation", &names, diags)
            .and_then(|(w, _)| Activation::from_name(w))
    }

    pub fn padding_mode(&self, diags: &mut Vec<Diagnostic>) -> Option<PaddingMode> {
        let names: Vec<&str> = PaddingMode::ALL.iter().map(|m| m.name()).collect();
        let (word, _) = self.word("padding_mode", &names, diags)?;
        PaddingMode::ALL.into_iter().find(|m| m.name() == word)
    }

    /// The padding of each of `n` spatial axes. `causal` only where `allow_causal`.
    pub fn padding(
        &self,
        n: usize,
        allow_causal: bool,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Vec<AxisPadding>> {
        let Some(value) = self.get("padding") else {
            return Some(vec![AxisPadding::Valid; n]);
        };
        if let ArgValue::Tuple(axes) = &value.value {
            return self.explicit_padding(value.span, axes, n, diags);
        }
        let choices: &[&str] = if allow_causal {
            &["valid", "same", "same_lower", "causal"]
        } else {
            &["valid", "same", "same_lower"]
        };
        if let ArgValue::Word(w) = &value.value {
            if w == "causal" && !allow_causal {
                diags.push(
                    Diagnostic::error(Code::CausalNot1d, value.span, format!("`causal` padding is only for 1-D convolutions, not {}", self.layer))
                        .with_hint("use `same`, or explicit padding such as `((2, 0), (2, 0))` to pad only before"),
                );
                return None;
            }
        }
        let (word, _) = self.word("padding", choices, diags)?;
        let p = match word {
            "valid" => AxisPadding::Valid,
            "same" => AxisPadding::Same,
            "same_lower" => AxisPadding::SameLower,
            _ => AxisPadding::Causal,
        };
        Some(vec![p; n])
    }

    fn explicit_padding(
        &self,
        span: Span,
        axes: &[Spanned<ArgValue>],
        n: usize,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Vec<AxisPadding>> {
        let hint = format!(
            "write one `(before, after)` pair per spatial axis, e.g. `padding = {}`",
            example_pairs(n)
        );
        // A 1-D layer may also write a single pair: `padding = (2, 0)`.
        let pairs: Vec<&Spanned<ArgValue>> = if n == 1
            && axes.len() == 2
            && axes.iter().all(|a| !matches!(a.value, ArgValue::Tuple(_)))
        {
            return pair(&Spanned::new(ArgValue::Tuple(axes.to_vec()), span))
                .map(|(before, after)| vec![AxisPadding::Explicit { before, after }])
                .or_else(|| {
                    diags.push(
                        Diagnostic::error(
                            Code::ExplicitPadding,
                            span,
                            "padding amounts must be integers of 0 or more",
                        )
                        .with_hint(hint.clone()),
                    );
                    None
                });
        } else {
            axes.iter().collect()
        };
        if pairs.len() != n {
            diags.push(
                Diagnostic::error(
                    Code::ExplicitPadding,
                    span,
                    format!(
                        "explicit padding of {} needs {n} pairs, one per spatial axis, not {}",
                        self.layer,
                        pairs.len()
                    ),
                )
                .with_hint(hint),
            );
            return None;
        }
        let mut out = Vec::with_capacity(n);
        for p in pairs {
            match pair(p) {
                Some((before, after)) => out.push(AxisPadding::Explicit { before, after }),
                None => {
                    diags.push(
                        Diagnostic::error(Code::ExplicitPadding, p.span, "each axis's padding is a pair `(before, after)` of integers of 0 or more")
                            .with_hint(hint),
                    );
                    return None;
                }
            }
        }
        Some(out)
    }
}

fn pair(value: &Spanned<ArgValue>) -> Option<(usize, usize)> {
    match &value.value {
        ArgValue::Tuple(items) if items.len() == 2 => {
            Some((non_negative(&items[0])?, non_negative(&items[1])?))
        }
        _ => None,
    }
}

fn non_negative(value: &Spanned<ArgValue>) -> Option<usize> {
    match value.value {
        ArgValue::Int(i) => usize::try_from(i).ok(),
        _ => None,
    }
}

fn positive_int(value: &Spanned<ArgValue>) -> Result<usize, String> {
    match &value.value {
        ArgValue::Int(i) if *i >= 1 => usize::try_from(*i).map_err(|_| format!("{i}")),
        ArgValue::Int(i) => Err(format!("{i}")),
        other => Err(describe(other)),
    }
}

fn describe(value: &ArgValue) -> String {
    match value {
        ArgValue::Int(i) => format!("{i}"),
        ArgValue::Float(f) => format!("the number {f}"),
        ArgValue::Bool(b) => format!("`{b}`"),
        ArgValue::Word(w) => format!("`{w}`"),
        ArgValue::Tuple(items) => format!("a tuple of {}", items.len()),
    }
}

fn list(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
    quoted.join(", ")
}

fn example_tuple(n: usize) -> String {
    if n == 1 {
        return "(3,)".to_string();
    }
    format!("({})", vec!["3"; n].join(", "))
}

fn example_pairs(n: usize) -> String {
    format!("({})", vec!["(1, 1)"; n].join(", "))
}
