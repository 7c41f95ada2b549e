//! Cutting tensors into the maps pictures show: one per batch item and channel of a feature
//! tensor, one per filter and input channel of a convolution kernel.

use crate::ir::{Conv, Tensor};

/// One map: a scalar, a 1-D signal, a 2-D grid or a 3-D volume, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Map {
    pub label: Label,
    /// Spatial sizes, outermost first: `[]`, `[len]`, `[rows, cols]` or `[depth, rows, cols]`.
    pub dims: Vec<usize>,
    pub data: Vec<f32>,
}

/// What a map is, for captions and file names.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub kind: Kind,
    /// The batch item, shown only when the batch has more than one.
    pub batch: Option<usize>,
    /// The channel (feature maps) or filter (kernels).
    pub index: usize,
    /// The filter's name, as written in the spec.
    pub name: Option<String>,
    /// The kernel's input channel, shown only when there is more than one.
    pub in_channel: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Feature,
    Filter,
}

impl Map {
    pub fn is_all_zero(&self) -> bool {
        self.data.iter().all(|&v| v == 0.0)
    }
}

impl Label {
    /// `c0 vertical`, `b1 c2`, `f0 sobel in1`: as short as a contact-sheet tile needs.
    pub fn caption(&self) -> String {
        let mut parts = Vec::new();
        if let Some(b) = self.batch {
            parts.push(format!("b{b}"));
        }
        parts.push(match self.kind {
            Kind::Feature => format!("c{}", self.index),
            Kind::Filter => format!("f{}", self.index),
        });
        if let Some(name) = &self.name {
            parts.push(name.clone());
        }
        if let Some(c) = self.in_channel {
            parts.push(format!("in{c}"));
        }
        parts.join(" ")
    }

    /// `b1_c0_vertical` or `filter0_sobel_in1`: the middle of a file name.
    pub fn file_part(&self) -> String {
        let mut parts = Vec::new();
        if let Some(b) = self.batch {
            parts.push(format!("b{b}"));
        }
        parts.push(match self.kind {
            Kind::Feature => format!("c{}", self.index),
            Kind::Filter => format!("filter{}", self.index),
        });
        if let Some(name) = &self.name {
            parts.push(name.clone());
        }
        if let Some(c) = self.in_channel {
            parts.push(format!("in{c}"));
        }
        parts.join("_")
    }
}

/// The spatial sizes of a shape `(batch, spatial..., channels)`. More than three spatial axes
/// (which the checker never produces) fold into the first, so every map can be drawn.
fn spatial(shape: &[usize]) -> Vec<usize> {
    let inner = if shape.len() >= 2 {
        &shape[1..shape.len() - 1]
    } else {
        &[][..]
    };
    if inner.len() <= 3 {
        return inner.to_vec();
    }
    let folded: usize = inner[..inner.len() - 2].iter().product();
    vec![folded, inner[inner.len() - 2], inner[inner.len() - 1]]
}

/// Every (batch item, channel) map of a channels-last tensor, batch-major.
/// `names` are the channels' filter names, where the layer has them.
pub fn feature_maps(t: &Tensor, names: &[Option<String>]) -> Vec<Map> {
    let (batch, channels) = match t.shape.len() {
        0 => (1, 1),
        1 => (1, t.shape[0]),
        n => (t.shape[0], t.shape[n - 1]),
    };
    let dims = spatial(&t.shape);
    let cells: usize = dims.iter().product();
    let mut maps = Vec::with_capacity(batch * channels);
    for b in 0..batch {
        for c in 0..channels {
            let data = (0..cells)
                .map(|s| t.data[(b * cells + s) * channels + c])
                .collect();
            maps.push(Map {
                label: Label {
                    kind: Kind::Feature,
                    batch: (batch > 1).then_some(b),
                    index: c,
                    name: names.get(c).cloned().flatten(),
                    in_channel: None,
                },
                dims: dims.clone(),
                data,
            });
        }
    }
    maps
}

/// Every (filter, input channel) slice of a convolution's kernel, filter-major. The kernel is
/// in Keras layout `kernel_size + (in_channels / groups, filters)`.
pub fn filter_maps(conv: &Conv) -> Vec<Map> {
    let dims = conv.kernel_size();
    let taps: usize = dims.iter().product();
    let (per_group, filters) = (conv.channels_per_group(), conv.filters);
    let mut maps = Vec::with_capacity(filters * per_group);
    for f in 0..filters {
        for ci in 0..per_group {
            let data = (0..taps)
                .map(|s| conv.kernel[(s * per_group + ci) * filters + f])
                .collect();
            maps.push(Map {
                label: Label {
                    kind: Kind::Filter,
                    batch: None,
                    index: f,
                    name: conv.filter_names.get(f).cloned().flatten(),
                    in_channel: (per_group > 1).then_some(ci),
                },
                dims: dims.clone(),
                data,
            });
        }
    }
    maps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_are_split_out_of_channels_last_data() {
        // (2, 3, 2): batch 2, length 3, channels 2.
        let t = Tensor {
            shape: vec![2, 3, 2],
            data: (0..12).map(|v| v as f32).collect(),
        };
        let maps = feature_maps(&t, &[Some("up".into()), None]);
        assert_eq!(maps.len(), 4);
        assert_eq!(maps[0].data, [0., 2., 4.]);
        assert_eq!(maps[1].data, [1., 3., 5.]);
        assert_eq!(maps[2].data, [6., 8., 10.]);
        assert_eq!(maps[0].dims, [3]);
        assert_eq!(maps[0].label.caption(), "b0 c0 up");
        assert_eq!(maps[3].label.file_part(), "b1_c1");
    }

    #[test]
    fn filters_are_read_from_the_keras_kernel_layout() {
        // Kernel (k=2, in=2, filters=2) holding 1..8: tap t, input channel i, filter f sits at
        // t*4 + i*2 + f.
        let spec = "input x (1, 4, 2) = fill 1
            layer y = conv1d(x) { kernel (2, 2, 2) = [1 2 3 4 5 6 7 8] }";
        let loaded =
            crate::pipeline::load_source("t.conv".as_ref(), spec.into(), 1 << 20, false).unwrap();
        let conv = crate::picture::conv_of(&loaded.model, 1).unwrap();
        let maps = filter_maps(conv);
        let data: Vec<&[f32]> = maps.iter().map(|m| m.data.as_slice()).collect();
        assert_eq!(data, [&[1., 5.][..], &[3., 7.], &[2., 6.], &[4., 8.]]);
        assert_eq!(maps[1].label.caption(), "f0 in1");
        assert_eq!(maps[2].label.file_part(), "filter1_in0");
    }

    #[test]
    fn global_pooling_output_is_one_value_per_channel() {
        let t = Tensor {
            shape: vec![1, 3],
            data: vec![1., 2., 3.],
        };
        let maps = feature_maps(&t, &[]);
        assert_eq!(maps.len(), 3);
        assert!(maps[2].dims.is_empty());
        assert_eq!(maps[2].data, [3.]);
        assert_eq!(maps[2].label.caption(), "c2");
    }

    #[test]
    fn all_zero_is_exactly_zero() {
        let map = |data: Vec<f32>| Map {
            label: feature_maps(&Tensor::zeros(vec![1, 1, 1]), &[])[0]
                .label
                .clone(),
            dims: vec![data.len()],
            data,
        };
        assert!(map(vec![0.0, -0.0]).is_all_zero());
        assert!(!map(vec![0.0, 1e-30]).is_all_zero());
        assert!(!map(vec![f32::NAN]).is_all_zero());
    }
}
