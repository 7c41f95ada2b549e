//! Building the AST from pest's parse tree.
//!
//! The grammar guarantees the tree's structure, but nothing here relies on it with `unwrap`:
//! a part that is unexpectedly missing becomes an "internal error" diagnostic, never a panic.
//! Problems the grammar cannot see (numbers out of range, a repeated `kernel`, a misspelt label
//! axis) are collected, so that one run reports all of them.

mod tensor;

use super::Rule;
use crate::ast::*;
use crate::diagnostic::{Code, Diagnostic};
use pest::iterators::{Pair, Pairs};
use tensor::string_text;

#[derive(Default)]
pub(super) struct Builder {
    spec: Spec,
    diagnostics: Vec<Diagnostic>,
    /// Byte offset of the parsed text in the whole spec (see `parse_conv`'s error recovery).
    offset: usize,
}

impl Builder {
    pub(super) fn finish(self) -> (Spec, Vec<Diagnostic>) {
        (self.spec, self.diagnostics)
    }

    /// Adds the statements of a successful parse of `text[offset..]`.
    pub(super) fn spec_pairs(&mut self, pairs: Pairs<'_, Rule>, offset: usize) {
        self.offset = offset;
        for statement in pairs.flat_map(|spec| spec.into_inner()) {
            match statement.as_rule() {
                Rule::input_decl => self.input(statement),
                Rule::layer_decl => self.layer(statement),
                Rule::output_decl => {
                    let names = statement
                        .into_inner()
                        .filter(|p| p.as_rule() == Rule::name)
                        .map(|p| self.ident(&p));
                    let names: Vec<Ident> = names.collect();
                    self.spec.outputs.get_or_insert_with(Vec::new).extend(names);
                }
                Rule::expect_decl => self.expect(statement),
                _ => {}
            }
        }
    }

    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let span = pair.as_span();
        Span::new(self.offset + span.start(), self.offset + span.end())
    }

    fn ident(&self, pair: &Pair<'_, Rule>) -> Ident {
        Spanned::new(pair.as_str().to_string(), self.span(pair))
    }

    /// Reports a part of the tree that the grammar should have produced but did not.
    fn internal(&mut self, span: Span, what: &str) {
        self.diagnostics.push(
            Diagnostic::error(
                Code::Internal,
                span,
                format!("internal error: the parser lost {what}"),
            )
            .with_hint("please report this as a bug in convc"),
        );
    }

    fn input(&mut self, pair: Pair<'_, Rule>) {
        let span = self.span(&pair);
        let (mut name, mut shape, mut tensor) = (None, None, None);
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::input_name => name = Some(self.ident(&part)),
                Rule::input_shape => shape = self.shape(part),
                Rule::tensor => tensor = self.tensor(part),
                _ => {}
            }
        }
        match (name, tensor) {
            (Some(name), Some(value)) => self.spec.inputs.push(InputDecl {
                name,
                tensor: TensorLit { shape, value },
                span,
            }),
            _ => self.internal(span, "the input's name or value"),
        }
    }

    fn expect(&mut self, pair: Pair<'_, Rule>) {
        let span = self.span(&pair);
        let (mut name, mut shape, mut tensor, mut within) = (None, None, None, None);
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::expect_name => name = Some(self.ident(&part)),
                Rule::expect_shape => shape = self.shape(part),
                Rule::tensor => tensor = self.tensor(part),
                Rule::within => {
                    within = part
                        .into_inner()
                        .find(|p| p.as_rule() == Rule::number)
                        .and_then(|p| self.number(&p))
                }
                _ => {}
            }
        }
        match (name, tensor) {
            (Some(name), Some(value)) => self.spec.expects.push(ExpectDecl {
                name,
                tensor: TensorLit { shape, value },
                within,
                span,
            }),
            _ => self.internal(span, "the expectation's name or value"),
        }
    }

    fn layer(&mut self, pair: Pair<'_, Rule>) {
        let span = self.span(&pair);
        let (mut name, mut op, mut inputs) = (None, None, Vec::new());
        let mut block = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::layer_name => name = Some(self.ident(&part)),
                Rule::op_name => op = Some(self.ident(&part)),
                Rule::layer_inputs => {
                    inputs = part
                        .into_inner()
                        .filter(|p| p.as_rule() == Rule::name)
                        .map(|p| self.ident(&p))
                        .collect()
                }
                Rule::block => block = Some(part),
                _ => {}
            }
        }
        let (Some(name), Some(op)) = (name, op) else {
            self.internal(span, "the layer's name or op");
            return;
        };
        let mut layer = LayerDecl {
            name,
            op,
            inputs,
            args: Vec::new(),
            kernel: None,
            filter_list: Vec::new(),
            bias: None,
            span,
        };
        if let Some(block) = block {
            self.block(block, &mut layer);
        }
        self.spec.layers.push(layer);
    }

    /// The arguments and weight clauses of a layer, with the clauses that contradict each
    /// other reported here (the checker never sees a second `kernel`).
    fn block(&mut self, block: Pair<'_, Rule>, layer: &mut LayerDecl) {
        let mut kernel_span: Option<Span> = None;
        let mut bias_span: Option<Span> = None;
        for item in block.into_inner() {
            let span = self.span(&item);
            match item.as_rule() {
                Rule::arg => {
                    if let Some(arg) = self.arg(item) {
                        layer.args.push(arg);
                    }
                }
                Rule::filter_clause => {
                    let (mut name, mut shape, mut tensor) = (None, None, None);
                    for part in item.into_inner() {
                        match part.as_rule() {
                            Rule::filter_name => name = Some(self.ident(&part)),
                            Rule::filter_shape => shape = self.shape(part),
                            Rule::tensor => tensor = self.tensor(part),
                            _ => {}
                        }
                    }
                    if let Some(value) = tensor {
                        let tensor = TensorLit { shape, value };
                        layer.filter_list.push(FilterDecl { name, tensor, span });
                    }
                }
                Rule::kernel_clause | Rule::bias_clause => {
                    let is_kernel = item.as_rule() == Rule::kernel_clause;
                    let Some(tensor) = self.shaped_tensor(item) else {
                        continue;
                    };
                    let (first, slot, word) = if is_kernel {
                        (&mut kernel_span, &mut layer.kernel, "kernel")
                    } else {
                        (&mut bias_span, &mut layer.bias, "bias")
                    };
                    match first {
                        Some(first) => self.diagnostics.push(
                            Diagnostic::error(
                                Code::DuplicateClause,
                                span,
                                format!("the layer has a second `{word}`"),
                            )
                            .with_label(format!("second `{word}`"))
                            .with_secondary(*first, format!("first `{word}` here"))
                            .with_hint(format!("keep one `{word}` clause")),
                        ),
                        None => {
                            *first = Some(span);
                            *slot = Some(tensor);
                        }
                    }
                }
                _ => {}
            }
        }
        if let (Some(kernel), Some(filter)) = (kernel_span, layer.filter_list.first()) {
            self.diagnostics.push(
                Diagnostic::error(
                    Code::KernelAndFilters,
                    kernel,
                    "the layer has both a `kernel` clause and `filter` clauses",
                )
                .with_label("the whole kernel")
                .with_secondary(filter.span, "a filter of the same kernel")
                .with_hint(
                    "write the weights either filter by filter or as one `kernel`, not both",
                ),
            );
        }
    }

    /// A `kernel SHAPE? = TENSOR` or `bias SHAPE? = TENSOR` clause.
    fn shaped_tensor(&mut self, clause: Pair<'_, Rule>) -> Option<TensorLit> {
        let (mut shape, mut tensor) = (None, None);
        for part in clause.into_inner() {
            match part.as_rule() {
                Rule::kernel_shape | Rule::bias_shape => shape = self.shape(part),
                Rule::tensor => tensor = self.tensor(part),
                _ => {}
            }
        }
        Some(TensorLit {
            shape,
            value: tensor?,
        })
    }

    fn arg(&mut self, pair: Pair<'_, Rule>) -> Option<Arg> {
        let span = self.span(&pair);
        let mut parts = pair.into_inner().filter(|p| p.as_rule() != Rule::eq);
        let (Some(key), Some(value)) = (parts.next(), parts.next()) else {
            self.internal(span, "an argument's name or value");
            return None;
        };
        let key = self.ident(&key);
        let reported = self.diagnostics.len();
        let value = value.into_inner().next().and_then(|v| self.arg_value(v));
        if value.is_none() && self.diagnostics.len() == reported {
            self.internal(span, "an argument's value");
        }
        Some(Arg { key, value: value? })
    }

    /// One scalar or tuple; tuples nest at most twice, as the grammar allows.
    fn arg_value(&mut self, pair: Pair<'_, Rule>) -> Option<Spanned<ArgValue>> {
        let span = self.span(&pair);
        let value = match pair.as_rule() {
            Rule::number => {
                let text = pair.as_str();
                if text.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
                    ArgValue::Int(self.integer(text, span)?)
                } else {
                    ArgValue::Float(self.number(&pair)?.value)
                }
            }
            Rule::bool => ArgValue::Bool(pair.as_str() == "true"),
            Rule::word => ArgValue::Word(pair.as_str().to_string()),
            Rule::string => ArgValue::Word(string_text(&pair)),
            Rule::size_x => {
                let sizes = pair.into_inner().filter(|p| p.as_rule() == Rule::size);
                let mut items = Vec::new();
                for size in sizes {
                    let span = self.span(&size);
                    items.push(Spanned::new(
                        ArgValue::Int(self.integer(size.as_str(), span)?),
                        span,
                    ));
                }
                ArgValue::Tuple(items)
            }
            Rule::tuple | Rule::inner_tuple => {
                let mut items = Vec::new();
                let parts = pair.into_inner();
                for part in parts
                    .filter(|p| !matches!(p.as_rule(), Rule::lparen | Rule::rparen | Rule::comma))
                {
                    items.push(self.arg_value(part)?);
                }
                ArgValue::Tuple(items)
            }
            _ => {
                self.internal(span, "an argument's value");
                return None;
            }
        };
        Some(Spanned::new(value, span))
    }

    fn integer(&mut self, text: &str, span: Span) -> Option<i64> {
        match text.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::NumberTooLarge,
                        span,
                        format!("`{text}` is too large for an integer"),
                    )
                    .with_label("out of range")
                    .with_hint(format!("integers go up to {}", i64::MAX)),
                );
                None
            }
        }
    }

    fn number(&mut self, pair: &Pair<'_, Rule>) -> Option<Spanned<f64>> {
        let span = self.span(pair);
        match pair.as_str().parse::<f64>() {
            Ok(x) => Some(Spanned::new(x, span)),
            Err(_) => {
                let message = format!("`{}` is not a number", pair.as_str());
                self.diagnostics
                    .push(Diagnostic::error(Code::Internal, span, message));
                None
            }
        }
    }

    /// A whole number that is a size, an index or a seed.
    fn unsigned(&mut self, pair: &Pair<'_, Rule>, what: &str) -> Option<Spanned<u64>> {
        let span = self.span(pair);
        match pair.as_str().parse::<u64>() {
            Ok(n) => Some(Spanned::new(n, span)),
            Err(_) => {
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::NumberTooLarge,
                        span,
                        format!("the {what} `{}` is too large", pair.as_str()),
                    )
                    .with_label("out of range")
                    .with_hint(format!("{what}s go up to {}", u64::MAX)),
                );
                None
            }
        }
    }

    /// Any of the shape rules: every `size` inside, in order.
    fn shape(&mut self, pair: Pair<'_, Rule>) -> Option<Spanned<Vec<u64>>> {
        let span = self.span(&pair);
        let mut sizes = Vec::new();
        let mut ok = true;
        for size in pair.into_inner().flat_map(|p| p.into_inner()) {
            if size.as_rule() == Rule::size {
                match self.unsigned(&size, "size") {
                    Some(n) => sizes.push(n.value),
                    None => ok = false,
                }
            }
        }
        ok.then(|| Spanned::new(sizes, span))
    }
}
