//! `.npy` in and out, end to end through the binary: arrays NumPy would write (built here with
//! npyz, byte for byte what `np.save` writes) load with the right values; convc's own output
//! files read back with the right shape and values; bad files exit 2 with a message.

mod common;

use common::{convc, scratch, stderr};
use npyz::WriterBuilder;
use std::path::Path;
use std::process::Output;

/// An `.npy` file of `data` with `shape`, in `order`, with the element type's default dtype
/// (little-endian, as `np.save` writes on every common machine) or `dtype` when given.
fn npy<T: npyz::Serialize + npyz::AutoSerialize + Copy>(
    path: &Path,
    shape: &[u64],
    data: &[T],
    order: npyz::Order,
    dtype: Option<npyz::DType>,
) {
    let mut bytes = Vec::new();
    let options = npyz::WriteOptions::<T>::new()
        .dtype(dtype.unwrap_or_else(T::default_dtype))
        .shape(shape)
        .order(order)
        .writer(&mut bytes);
    let mut writer = options.begin_nd().expect("npy header");
    writer.extend(data.iter().copied()).expect("npy data");
    writer.finish().expect("npy end");
    std::fs::write(path, bytes).expect("write npy");
}

/// A `.npy` file with any header, for dtypes npyz will not write (complex, strings).
fn raw_npy(path: &Path, descr: &str, shape: &str, data: &[u8]) {
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    // Magic (6) + version (2) + length (2) + header + '\n' is padded to a multiple of 64.
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    bytes.extend(data);
    std::fs::write(path, bytes).expect("write npy");
}

/// Runs a spec that only declares `input x = npy "x.npy"` and returns what `--format json`
/// prints: the input's values.
fn load_input(dir: &Path) -> Output {
    let spec = dir.join("spec.conv");
    std::fs::write(&spec, "input x = npy \"x.npy\"\n").expect("write spec");
    convc(&[
        "run",
        spec.to_str().expect("utf-8 path"),
        "--format",
        "json",
    ])
}

fn json_values(o: &Output) -> (Vec<u64>, Vec<f64>) {
    assert_eq!(o.status.code(), Some(0), "{}", stderr(o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let output = &v["outputs"][0];
    let shape = output["shape"].as_array().expect("shape");
    let data = output["data"].as_array().expect("data");
    (
        shape.iter().filter_map(|d| d.as_u64()).collect(),
        data.iter().filter_map(|d| d.as_f64()).collect(),
    )
}

const C: npyz::Order = npyz::Order::C;

#[test]
fn every_numeric_dtype_loads_with_its_values() {
    let dir = scratch("npy_dtypes");
    let path = dir.join("x.npy");
    let shape = [1, 2, 2];
    let expected = vec![0.0, 1.0, -2.0, 100.0];
    let unsigned = vec![0.0, 1.0, 2.0, 200.0];
    let check = |want: &[f64]| {
        let (got_shape, got) = json_values(&load_input(&dir));
        assert_eq!(got_shape, shape);
        assert_eq!(got, want);
    };
    npy(&path, &shape, &[0.0f32, 1.0, -2.0, 100.0], C, None);
    check(&expected);
    npy(&path, &shape, &[0.0f64, 1.0, -2.0, 100.0], C, None);
    check(&expected);
    npy(&path, &shape, &[0i8, 1, -2, 100], C, None);
    check(&expected);
    npy(&path, &shape, &[0i16, 1, -2, 100], C, None);
    check(&expected);
    npy(&path, &shape, &[0i32, 1, -2, 100], C, None);
    check(&expected);
    npy(&path, &shape, &[0i64, 1, -2, 100], C, None);
    check(&expected);
    npy(&path, &shape, &[0u8, 1, 2, 200], C, None);
    check(&unsigned);
    npy(&path, &shape, &[0u16, 1, 2, 200], C, None);
    check(&unsigned);
    npy(&path, &shape, &[0u32, 1, 2, 200], C, None);
    check(&unsigned);
    npy(&path, &shape, &[false, true, true, false], C, None);
    check(&[0.0, 1.0, 1.0, 0.0]);
    // Big-endian float32, as NumPy writes `np.dtype('>f4')`.
    let big = npyz::DType::Plain(">f4".parse().expect("type string"));
    npy(&path, &shape, &[0.0f32, 1.0, -2.0, 100.0], C, Some(big));
    check(&expected);
}

#[test]
fn fortran_order_is_read_in_row_major_order() {
    let dir = scratch("npy_fortran");
    // The 2x3 array [[1 2 3] [4 5 6]] stored column by column.
    npy(
        &dir.join("x.npy"),
        &[1, 2, 3],
        &[1.0f32, 4.0, 2.0, 5.0, 3.0, 6.0],
        npyz::Order::Fortran,
        None,
    );
    let (shape, values) = json_values(&load_input(&dir));
    assert_eq!(shape, [1, 2, 3]);
    assert_eq!(values, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
}

#[test]
fn complex_and_string_dtypes_are_refused_with_a_message() {
    let dir = scratch("npy_bad_dtype");
    for (descr, data) in [("<c8", vec![0u8; 16]), ("<U3", vec![0u8; 24])] {
        raw_npy(&dir.join("x.npy"), descr, "(1, 2, 1)", &data);
        let o = load_input(&dir);
        assert_eq!(o.status.code(), Some(2), "{descr}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("is not supported") && stderr(&o).contains("astype(np.float32)"),
            "{descr}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn a_truncated_file_is_refused_with_a_message() {
    let dir = scratch("npy_truncated");
    let path = dir.join("x.npy");
    npy(&path, &[1, 4, 1], &[1.0f32, 2.0, 3.0, 4.0], C, None);
    let bytes = std::fs::read(&path).expect("read npy");
    std::fs::write(&path, &bytes[..bytes.len() - 6]).expect("truncate");
    let o = load_input(&dir);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("truncated"), "{}", stderr(&o));
    // Cut inside the header, too.
    std::fs::write(&path, &bytes[..20]).expect("truncate");
    let o = load_input(&dir);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("not a usable .npy file"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn outputs_written_as_npy_read_back_with_shape_and_values() {
    let dir = scratch("npy_out");
    let spec = "specs/seed/vertical_line.conv";
    let json = convc(&["run", spec, "--format", "json"]);
    let (shape, values) = json_values(&json);
    let o = convc(&[
        "run",
        spec,
        "--format",
        "npy",
        "--out",
        dir.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let name = serde_json::from_slice::<serde_json::Value>(&json.stdout).expect("json")["outputs"]
        [0]["name"]
        .as_str()
        .expect("name")
        .to_string();
    let bytes = std::fs::read(dir.join(format!("{name}.npy"))).expect("output file");
    let file = npyz::NpyFile::new(&bytes[..]).expect("npy header");
    assert_eq!(file.shape(), &shape[..]);
    assert_eq!(file.order(), npyz::Order::C);
    assert_eq!(file.dtype().descr(), "'<f4'");
    let read: Vec<f64> = file
        .into_vec::<f32>()
        .expect("npy data")
        .into_iter()
        .map(f64::from)
        .collect();
    assert_eq!(read, values);
    // Nothing but the output is left in the folder: no temporary files.
    let names: Vec<_> = std::fs::read_dir(&dir)
        .expect("list")
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn all_writes_every_layer() {
    let dir = scratch("npy_out_all");
    let o = convc(&[
        "run",
        "specs/examples/edges.conv",
        "--all",
        "--format",
        "npy",
        "--out",
        dir.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for layer in ["gx", "gy", "gx2", "gy2", "magnitude"] {
        let bytes = std::fs::read(dir.join(format!("{layer}.npy"))).expect("layer file");
        let file = npyz::NpyFile::new(&bytes[..]).expect("npy header");
        assert_eq!(file.shape(), &[1, 128, 128, 1], "{layer}");
    }
}

#[test]
fn an_unwritable_folder_exits_2_with_a_message() {
    let dir = scratch("npy_unwritable");
    // A folder cannot be made below a plain file, whoever runs the test (root included).
    let file = dir.join("a_file");
    std::fs::write(&file, "not a folder").expect("write");
    let out = file.join("out");
    let o = convc(&[
        "run",
        "specs/seed/bump.conv",
        "--format",
        "npy",
        "--out",
        out.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cannot create the output folder"),
        "{}",
        stderr(&o)
    );
    // `--format npy` needs `--out`.
    let o = convc(&["run", "specs/seed/bump.conv", "--format", "npy"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--out"), "{}", stderr(&o));
}
