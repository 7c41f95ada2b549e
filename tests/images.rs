//! Pictures as inputs and `--input NAME=FILE`, end to end through the binary. (Each image
//! form and each bad picture also has a spec in `specs/features` or `specs/errors`.)

mod common;

use common::{convc, scratch, stderr};
use std::path::Path;
use std::process::Output;

fn utf8(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// `(name, shape, data)` of each output of `convc run ... --format json`.
fn outputs(o: &Output) -> Vec<(String, Vec<u64>, Vec<f64>)> {
    assert_eq!(o.status.code(), Some(0), "{}", stderr(o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let list = v["outputs"].as_array().expect("outputs").clone();
    list.iter()
        .map(|out| {
            let numbers = |key: &str| out[key].as_array().expect(key).clone();
            (
                out["name"].as_str().expect("name").to_string(),
                numbers("shape").iter().filter_map(|d| d.as_u64()).collect(),
                numbers("data").iter().filter_map(|d| d.as_f64()).collect(),
            )
        })
        .collect()
}

/// A gray PNG with the given rows.
fn gray_png(path: &Path, rows: &[&[u8]]) {
    let (height, width) = (rows.len() as u32, rows[0].len() as u32);
    let pixels: Vec<u8> = rows.iter().flat_map(|r| r.iter().copied()).collect();
    let image = image::GrayImage::from_raw(width, height, pixels).expect("pixels fit");
    image.save(path).expect("save png");
}

#[test]
fn an_input_replaced_by_a_picture_of_another_size_is_rechecked() {
    let dir = scratch("override_png");
    let photo = dir.join("wide.png");
    gray_png(
        &photo,
        &[
            &[0, 0, 9, 0, 0, 0, 0],
            &[0, 0, 9, 0, 0, 0, 0],
            &[0, 0, 9, 0, 0, 0, 0],
        ],
    );
    let spec = "specs/features/image_gray.conv";
    let input = format!("photo={}", utf8(&photo));
    let o = convc(&["run", spec, "--input", &input, "--format", "json"]);
    let outs = outputs(&o);
    // 3x7 through a valid 3x3 filter: 1x5.
    assert_eq!(outs[0].1, [1, 1, 5, 1]);
    assert_eq!(outs[0].2, [0.0, 27.0, 0.0, 0.0, 0.0]);
    // `check` re-checks the shapes too.
    let o = convc(&["check", spec, "--input", &input]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("(1, 3, 7, 1)"));
}

#[test]
fn an_input_replaced_by_an_npy_array() {
    let dir = scratch("override_npy");
    let path = dir.join("x.npy");
    let mut bytes = Vec::new();
    {
        use npyz::WriterBuilder;
        let mut w = npyz::WriteOptions::<f64>::new()
            .default_dtype()
            .shape(&[1, 3, 3, 1])
            .writer(&mut bytes)
            .begin_nd()
            .expect("header");
        w.extend([0.0, 1.0, 0.0, 0.0, 2.0, 0.0, 0.0, 3.0, 0.0])
            .expect("data");
        w.finish().expect("end");
    }
    std::fs::write(&path, bytes).expect("write npy");
    let input = format!("photo={}", utf8(&path));
    let o = convc(&[
        "run",
        "specs/features/image_gray.conv",
        "--input",
        &input,
        "--format",
        "json",
    ]);
    let outs = outputs(&o);
    assert_eq!(outs[0].1, [1, 1, 1, 1]);
    assert_eq!(outs[0].2, [6.0]);
}

#[test]
fn a_replacement_keeps_the_declared_mode() {
    // `rgb` in image_modes.conv is read as rgb; so is its replacement, and `mean` still fits.
    let o = convc(&[
        "run",
        "specs/features/image_modes.conv",
        "--input",
        "rgb=specs/features/data/bar.png",
        "--format",
        "json",
    ]);
    let outs = outputs(&o);
    let rgb = outs.iter().find(|o| o.0 == "rgb").expect("rgb output");
    assert_eq!(rgb.1, [1, 4, 5, 3]);
    // A data input with 3 channels becomes an rgb picture.
    let o = convc(&[
        "run",
        "specs/features/rgb.conv",
        "--input",
        "picture=specs/features/data/bar.png",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn a_replacement_that_no_longer_fits_the_layers_exits_2() {
    // One gray channel where the filters read three: the checker says so, at the filter.
    let o = convc(&[
        "run",
        "specs/features/rgb.conv",
        "--input",
        "picture=specs/features/data/bar.npy-missing.png",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot open"), "{}", stderr(&o));
    let dir = scratch("override_channels");
    let gray = dir.join("gray.png");
    let row: &[u8] = &[1, 2, 3, 4];
    gray_png(&gray, &[row; 4]);
    let spec = dir.join("spec.conv");
    std::fs::write(
        &spec,
        "input picture (1, 4, 4, 3) = fill 1\n\
         layer edges = conv2d(picture) { filter = { channel 0: sobel_x  channel 1: sobel_x  channel 2: sobel_x } }\n",
    )
    .expect("write spec");
    // A 3-channel input replaced by a picture is read as rgb: it still fits.
    let input = format!("picture={}", utf8(&gray));
    let o = convc(&["run", utf8(&spec), "--input", &input, "--format", "json"]);
    assert_eq!(outputs(&o)[0].1, [1, 2, 2, 1]);
    // A one-channel array does not.
    let npy = dir.join("one.npy");
    std::fs::write(&npy, npy_f32(&[1, 4, 4, 1], &[0.0; 16])).expect("write npy");
    let input = format!("picture={}", utf8(&npy));
    let o = convc(&["run", utf8(&spec), "--input", &input]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

fn npy_f32(shape: &[u64], data: &[f32]) -> Vec<u8> {
    use npyz::WriterBuilder;
    let mut bytes = Vec::new();
    let mut w = npyz::WriteOptions::<f32>::new()
        .default_dtype()
        .shape(shape)
        .writer(&mut bytes)
        .begin_nd()
        .expect("header");
    w.extend(data.iter().copied()).expect("data");
    w.finish().expect("end");
    bytes
}

#[test]
fn an_unknown_input_name_exits_2_with_a_suggestion() {
    let o = convc(&[
        "run",
        "specs/features/image_gray.conv",
        "--input",
        "phot=specs/features/data/bar.png",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("names no input"), "{err}");
    assert!(err.contains("did you mean `photo`?"), "{err}");
    let o = convc(&["run", "specs/features/image_gray.conv", "--input", "photo"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("NAME=FILE"), "{}", stderr(&o));
}

/// A PNG whose header claims `width` x `height` but holds one pixel: its size must be refused
/// from the header, before any decoding is tried.
fn lying_png(path: &Path, width: u32, height: u32) {
    gray_png(path, &[&[0]]);
    let mut bytes = std::fs::read(path).expect("read png");
    // Signature (8), length (4), "IHDR" (4), then width and height; the CRC covers type + data.
    bytes[16..20].copy_from_slice(&width.to_be_bytes());
    bytes[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    std::fs::write(path, bytes).expect("write png");
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn memory_is_checked_from_the_header_before_decoding() {
    let dir = scratch("image_memory");
    let png = dir.join("huge.png");
    lying_png(&png, 100_000, 100_000);
    let spec = dir.join("spec.conv");
    std::fs::write(&spec, "input photo = image \"huge.png\" rgb\n").expect("write spec");
    let o = convc(&["run", utf8(&spec)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("memory limit") && err.contains("input `photo`"),
        "{err}"
    );
    // A real picture under a small limit: refused the same way.
    let o = convc(&["run", "specs/examples/edges.conv", "--max-memory", "16KiB"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("memory limit"), "{}", stderr(&o));
}

/// `convert` is lossless for images: conv -> toml -> conv prints the same text, and the TOML
/// form names `image`, `mode` and `scale`.
#[test]
fn image_inputs_convert_both_ways() {
    for spec in [
        "specs/features/image_modes.conv",
        "specs/features/image_toml.toml",
    ] {
        let dir = scratch(&format!("convert_{}", spec.replace(['/', '.'], "_")));
        // The converted specs read the same pictures, relative to where they are written.
        std::fs::create_dir_all(dir.join("data")).expect("data folder");
        for name in ["bar.png", "colours.png", "colours_alpha.png"] {
            let from = Path::new("specs/features/data").join(name);
            let from = Path::new(env!("CARGO_MANIFEST_DIR")).join(from);
            std::fs::copy(from, dir.join("data").join(name)).expect("copy picture");
        }
        let conv = dir.join("a.conv");
        let toml = dir.join("b.toml");
        let back = dir.join("c.conv");
        for (from, to, out) in [
            (spec, "conv", &conv),
            (utf8(&conv), "toml", &toml),
            (utf8(&toml), "conv", &back),
        ] {
            let o = convc(&["convert", from, "--to", to, "-o", utf8(out)]);
            assert_eq!(o.status.code(), Some(0), "{from}: {}", stderr(&o));
        }
        let read = |p: &Path| std::fs::read_to_string(p).expect("read");
        // Flat TOML data gains explicit shapes on the way; the inputs come back exactly.
        let inputs = |text: String| -> Vec<String> {
            text.lines()
                .filter(|l| l.starts_with("input "))
                .map(String::from)
                .collect()
        };
        assert_eq!(inputs(read(&conv)), inputs(read(&back)), "{spec}");
        assert!(read(&toml).contains("image = \"data/"), "{}", read(&toml));
    }
    let toml = std::fs::read_to_string(
        Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("convert_specs_features_image_modes_conv/b.toml"),
    )
    .expect("read");
    assert!(
        toml.contains("mode = \"rgba\"\nscale = 0.00392156862745098"),
        "{toml}"
    );
}
