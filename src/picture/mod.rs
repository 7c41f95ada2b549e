//! Feature maps and filters as pictures (`convc run --png DIR`, and the HTML report).
//!
//! Every map becomes a PNG of its own, named after the layer, the channel (and filter name)
//! and its value range; every layer also gets a contact sheet with all its channels on one
//! colour scale. Convolutions get the same for their filters. Maps that are exactly zero
//! everywhere (a ReLU that killed everything) are reported, so a dead channel is not mistaken
//! for a dark picture.

pub mod canvas;
pub mod colormap;
pub mod draw;
pub mod files;
pub mod maps;
pub mod sheet;

use crate::check::tensor::shape_text;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{Conv, Layer, Model, Op, Tensor, ValueId, ValueKind};
use crate::progress::Progress;
use colormap::Range;
use image::RgbImage;
use maps::{Label, Map};
use std::path::Path;

/// The pictures of one value (an input or a layer).
pub struct LayerPictures {
    /// Every channel's map, on the layer's common scale.
    pub maps_sheet: RgbImage,
    /// Every filter, for convolutions.
    pub filters_sheet: Option<RgbImage>,
    /// The range of all the layer's values.
    pub range: Option<Range>,
    /// The range of the filters' weights.
    pub filters_range: Option<Range>,
    /// Maps that are zero everywhere.
    pub zero_maps: Vec<Label>,
}

/// The convolution that computed value `id`, if one did.
pub fn conv_of(model: &Model, id: ValueId) -> Option<&Conv> {
    match &model.values[id].kind {
        ValueKind::Layer(Layer {
            op: Op::Conv(conv), ..
        }) => Some(conv),
        _ => None,
    }
}

fn channel_names(model: &Model, id: ValueId) -> Vec<Option<String>> {
    conv_of(model, id).map_or_else(Vec::new, |c| c.filter_names.clone())
}

/// The sheets of value `id`, whose computed tensor is `tensor`.
pub fn layer_pictures(model: &Model, id: ValueId, tensor: &Tensor) -> LayerPictures {
    let name = &model.values[id].name;
    let maps = maps::feature_maps(tensor, &channel_names(model, id));
    let range = Range::of(&tensor.data);
    let title = format!("{name} {}", shape_text(&tensor.shape));
    let zero_maps = maps
        .iter()
        .filter(|m| m.is_all_zero())
        .map(|m| m.label.clone())
        .collect();
    let (filters_sheet, filters_range) = match conv_of(model, id) {
        Some(conv) => {
            let filters = maps::filter_maps(conv);
            let range = Range::of(&conv.kernel);
            let mut kernel_shape = conv.kernel_size();
            kernel_shape.extend([conv.channels_per_group(), conv.filters]);
            let title = format!("{name} filters {}", shape_text(&kernel_shape));
            (Some(sheet::sheet(&title, &filters, range)), range)
        }
        None => (None, None),
    };
    LayerPictures {
        maps_sheet: sheet::sheet(&title, &maps, range),
        filters_sheet,
        range,
        filters_range,
        zero_maps,
    }
}

/// What one sentence says about a dead map: "`edges` channel 1 (horizontal) is all zero".
pub fn zero_note(layer: &str, label: &Label) -> String {
    let mut what = format!("`{layer}` channel {}", label.index);
    if let Some(name) = &label.name {
        what.push_str(&format!(" ({name})"));
    }
    if let Some(b) = label.batch {
        what.push_str(&format!(" of batch item {b}"));
    }
    format!("{what} is all zero")
}

/// What `write` did.
#[derive(Debug, Default)]
pub struct Written {
    pub files: usize,
    /// One sentence per all-zero feature map.
    pub zero_notes: Vec<String>,
}

/// Writes the pictures of the values `shown` (computed as `values`) into `dir`, creating it.
/// The error says what could not be written.
pub fn write(
    model: &Model,
    values: &[Tensor],
    shown: &[ValueId],
    dir: &Path,
    progress: &Progress,
) -> Result<Written, Diagnostic> {
    let folder = dir.display();
    std::fs::create_dir_all(dir).map_err(|e| {
        Diagnostic::error_unlocated(
            Code::CannotCreateFolder,
            format!("cannot create the picture folder `{folder}`: {e}"),
        )
    })?;
    let mut written = Written::default();
    let mut save = |name: String, img: &RgbImage| -> Result<(), Diagnostic> {
        let bytes = files::png_bytes(img)
            .map_err(|message| Diagnostic::error_unlocated(Code::Encode, message))?;
        files::write_atomic(dir, &name, &bytes).map_err(|e| {
            Diagnostic::error_unlocated(
                Code::CannotWrite,
                format!("cannot write `{}`: {e}", dir.join(&name).display()),
            )
        })?;
        written.files += 1;
        Ok(())
    };
    let mut notes = Vec::new();
    for &id in shown {
        let layer = &model.values[id].name;
        let tensor = &values[id];
        for map in maps::feature_maps(tensor, &channel_names(model, id)) {
            save(
                map_name(layer, &map),
                &draw::map(&map, Range::of(&map.data)),
            )?;
        }
        if let Some(conv) = conv_of(model, id) {
            for map in maps::filter_maps(conv) {
                save(
                    map_name(layer, &map),
                    &draw::map(&map, Range::of(&map.data)),
                )?;
            }
        }
        let pictures = layer_pictures(model, id, tensor);
        save(files::sheet_file_name(layer, "sheet"), &pictures.maps_sheet)?;
        if let Some(filters) = &pictures.filters_sheet {
            save(files::sheet_file_name(layer, "filters"), filters)?;
        }
        notes.extend(pictures.zero_maps.iter().map(|l| zero_note(layer, l)));
        progress.step();
    }
    written.zero_notes = notes;
    Ok(written)
}

fn map_name(layer: &str, map: &Map) -> String {
    files::map_file_name(layer, &map.label.file_part(), Range::of(&map.data))
}
