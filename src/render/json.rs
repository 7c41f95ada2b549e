//! The fixed JSON output of `convc run --format json` (PRODUCT.md):
//! `{"outputs": [{"name": "bump", "shape": [1, 6, 1], "data": [0.0, ...]}]}`, data flat in
//! row-major order, non-finite values as the strings `"nan"`, `"inf"`, `"-inf"`.

use crate::ir::Tensor;
use serde::ser::{Serialize, SerializeSeq, Serializer};

#[derive(serde::Serialize)]
struct Output<'a> {
    name: &'a str,
    shape: &'a [usize],
    data: Data<'a>,
}

/// Serialises f32 values as float32 (shortest form that reads back as the same float32, as
/// serde_json's `serialize_f32` does), and non-finite values as strings.
struct Data<'a>(&'a [f32]);

impl Serialize for Data<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for &x in self.0 {
            if x.is_nan() {
                seq.serialize_element("nan")?;
            } else if x.is_infinite() {
                seq.serialize_element(if x > 0.0 { "inf" } else { "-inf" })?;
            } else {
                seq.serialize_element(&x)?;
            }
        }
        seq.end()
    }
}

#[derive(serde::Serialize)]
struct Outputs<'a> {
    outputs: Vec<Output<'a>>,
}

/// One JSON object with every named tensor, in order.
pub fn outputs(named: &[(&str, &Tensor)]) -> String {
    // Serialising plain strings, integers and floats cannot fail.
    serde_json::to_string(&document(named)).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// [`outputs`], streamed into `out` (no copy of the whole text in memory), then a newline.
pub fn write(named: &[(&str, &Tensor)], out: &mut impl std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, &document(named))?;
    out.write_all(b"\n")
}

fn document<'a>(named: &[(&'a str, &'a Tensor)]) -> Outputs<'a> {
    Outputs {
        outputs: named
            .iter()
            .map(|(name, t)| Output {
                name,
                shape: &t.shape,
                data: Data(&t.data),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_product_example() {
        let t = Tensor {
            shape: vec![1, 6, 1],
            data: vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0],
        };
        assert_eq!(
            outputs(&[("bump", &t)]),
            r#"{"outputs":[{"name":"bump","shape":[1,6,1],"data":[0.0,0.0,1.0,1.0,0.0,0.0]}]}"#
        );
    }

    #[test]
    fn non_finite_values_are_strings_and_floats_are_shortest() {
        let t = Tensor {
            shape: vec![4],
            data: vec![f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.1],
        };
        assert_eq!(
            outputs(&[("x", &t)]),
            r#"{"outputs":[{"name":"x","shape":[4],"data":["nan","inf","-inf",0.1]}]}"#
        );
    }
}
