//! Building tensors: matrices, labelled grids, built-in filters, fills, files, initializers.

use super::Builder;
use crate::ast::*;
use crate::diagnostic::{Code, Diagnostic};
use crate::parse::conv::Rule;
use pest::iterators::Pair;

/// What a label axis may be called.
const AXIS_WORDS: [&str; 4] = ["batch", "depth", "channel", "filter"];

impl Builder {
    /// A tensor, or `None` after reporting why not.
    pub(super) fn tensor(&mut self, pair: Pair<'_, Rule>) -> Option<Spanned<TensorValue>> {
        let span = self.span(&pair);
        let reported = self.diagnostics.len();
        let value = self.tensor_value(pair);
        if value.is_none() && self.diagnostics.len() == reported {
            self.internal(span, "a tensor");
        }
        value
    }

    fn tensor_value(&mut self, pair: Pair<'_, Rule>) -> Option<Spanned<TensorValue>> {
        let span = self.span(&pair);
        let Some(inner) = pair.into_inner().next() else {
            self.internal(span, "a tensor");
            return None;
        };
        let value = match inner.as_rule() {
            Rule::matrix => TensorValue::Numbers(self.matrix(inner)),
            Rule::grids => TensorValue::Grids(self.grids(inner)),
            Rule::builtin => TensorValue::Builtin(self.builtin(inner)),
            Rule::fill => {
                let number = inner.into_inner().find(|p| p.as_rule() == Rule::number)?;
                TensorValue::Fill(self.number(&number)?)
            }
            Rule::npy => {
                let string = inner.into_inner().find(|p| p.as_rule() == Rule::string)?;
                TensorValue::Npy(Spanned::new(string_text(&string), self.span(&string)))
            }
            Rule::image => TensorValue::Image(self.image(inner)?),
            Rule::init => {
                let init_span = self.span(&inner);
                let (mut name, mut seed) = (None, None);
                for part in inner.into_inner() {
                    match part.as_rule() {
                        Rule::init_name => name = Some(self.ident(&part)),
                        Rule::seed => seed = self.unsigned(&part, "seed"),
                        _ => {}
                    }
                }
                let name = name?;
                TensorValue::Init(Init {
                    name,
                    seed,
                    span: init_span,
                })
            }
            _ => {
                self.internal(span, "a tensor");
                return None;
            }
        };
        Some(Spanned::new(value, span))
    }

    /// `image "path" MODE? (scale NUMBER)?`.
    fn image(&mut self, pair: Pair<'_, Rule>) -> Option<Image> {
        let span = self.span(&pair);
        let (mut path, mut mode, mut scale) = (None, None, None);
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::string => path = Some(Spanned::new(string_text(&part), self.span(&part))),
                Rule::image_mode => {
                    let word = self.ident(&part);
                    // A bad mode is reported and left out; the image still builds, so that the
                    // statement is not also reported as lost.
                    let Some(value) = ImageMode::from_keyword(&word.value) else {
                        self.diagnostics.push(
                            Diagnostic::error(
                                Code::ImageMode,
                                word.span,
                                format!("`{}` is not an image mode", word.value),
                            )
                            .with_label("unknown mode")
                            .with_suggestion(&word.value, ImageMode::NAMES)
                            .with_hint(
                                "the modes are `gray` (1 channel), `rgb` (3) and `rgba` (4)",
                            ),
                        );
                        continue;
                    };
                    mode = Some(Spanned::new(value, word.span));
                }
                Rule::number => scale = self.number(&part),
                _ => {}
            }
        }
        Some(Image {
            path: path?,
            mode,
            scale,
            span,
        })
    }

    fn matrix(&mut self, pair: Pair<'_, Rule>) -> Grid {
        let span = self.span(&pair);
        let mut rows = Vec::new();
        for row in pair.into_inner().filter(|p| p.as_rule() == Rule::row) {
            let row_span = self.span(&row);
            let numbers = row.into_inner().filter_map(|n| self.number(&n));
            let values = numbers.map(|n| n.value).collect();
            rows.push(Spanned::new(values, row_span));
        }
        Grid { rows, span }
    }

    fn builtin(&mut self, pair: Pair<'_, Rule>) -> Builtin {
        let span = self.span(&pair);
        let mut name = Spanned::new(String::new(), span);
        let mut args = Vec::new();
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::builtin_name => name = self.ident(&part),
                Rule::number => args.extend(self.number(&part)),
                _ => {}
            }
        }
        Builtin { name, args, span }
    }

    fn grids(&mut self, pair: Pair<'_, Rule>) -> Vec<LabelledGrid> {
        let mut grids = Vec::new();
        for grid in pair
            .into_inner()
            .filter(|p| p.as_rule() == Rule::labelled_grid)
        {
            let span = self.span(&grid);
            let mut labels: Vec<GridLabel> = Vec::new();
            let mut value = None;
            for part in grid.into_inner() {
                match part.as_rule() {
                    Rule::label => labels.extend(self.label(part, &labels)),
                    Rule::matrix => value = Some(GridValue::Numbers(self.matrix(part))),
                    Rule::builtin => value = Some(GridValue::Builtin(self.builtin(part))),
                    _ => {}
                }
            }
            match value {
                Some(value) => grids.push(LabelledGrid {
                    labels,
                    value,
                    span,
                }),
                None => self.internal(span, "a labelled grid's values"),
            }
        }
        grids
    }

    /// `channel 2`; `earlier` are the labels before it in the same grid's label.
    fn label(&mut self, pair: Pair<'_, Rule>, earlier: &[GridLabel]) -> Option<GridLabel> {
        let span = self.span(&pair);
        let mut parts = pair.into_inner();
        let (Some(word), Some(index)) = (parts.next(), parts.next()) else {
            self.internal(span, "a label");
            return None;
        };
        let index = self.unsigned(&index, "index")?;
        let span = self.span(&word);
        let axis = match word.as_str() {
            "batch" => LabelAxis::Batch,
            "depth" => LabelAxis::Depth,
            "channel" => LabelAxis::Channel,
            "filter" => LabelAxis::Filter,
            other => {
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::LabelAxis,
                        span,
                        format!("`{other}` is not an axis a label can name"),
                    )
                    .with_label("unknown axis")
                    .with_suggestion(other, AXIS_WORDS)
                    .with_hint("labels name `batch`, `depth`, `channel` or `filter`"),
                );
                return None;
            }
        };
        if let Some(first) = earlier.iter().find(|l| l.axis.value == axis) {
            self.diagnostics.push(
                Diagnostic::error(
                    Code::LabelTwice,
                    span,
                    format!("the label names `{}` twice", axis.keyword()),
                )
                .with_secondary(first.axis.span, "first named here"),
            );
            return None;
        }
        Some(GridLabel {
            axis: Spanned::new(axis, span),
            index,
        })
    }
}

/// The text between a string's quotes (strings have no escapes, so it is taken as written).
pub(super) fn string_text(pair: &Pair<'_, Rule>) -> String {
    let text = pair.as_str();
    text.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text)
        .to_string()
}
