//! `convc run --png` and `convc report` end to end: the files, their names, the messages.

mod common;

use common::{convc, scratch, stderr};
use std::path::Path;

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn png_writes_maps_sheets_and_filters_named_by_their_ranges() {
    let dir = scratch("png_lines");
    let out = dir.join("pictures");
    let plain = convc(&["run", "specs/seed/lines.conv"]);
    let o = convc(&[
        "run",
        "specs/seed/lines.conv",
        "--png",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The printed maps are the same with and without pictures.
    assert_eq!(o.stdout, plain.stdout);
    assert!(stderr(&o).contains("wrote 10 pictures"), "{}", stderr(&o));
    // The outputs are both, lines and detectors (two named filters).
    let names = names_in(&out);
    assert_eq!(
        names,
        [
            "both_c0_min0_max6.png",
            "both_sheet.png",
            "detectors_c0_vertical_min0_max3.png",
            "detectors_c1_horizontal_min0_max3.png",
            "detectors_filter0_vertical_min0_max1.png",
            "detectors_filter1_horizontal_min0_max1.png",
            "detectors_filters.png",
            "detectors_sheet.png",
            "lines_c0_min0_max1.png",
            "lines_sheet.png",
        ]
    );
    for name in &names {
        let img = image::open(out.join(name)).expect("a PNG that decodes");
        // A 6x6 map (or a 3x3 filter) is enlarged to at least 128 pixels.
        assert!(img.width() >= 128 && img.height() >= 128, "{name}");
    }
}

#[test]
fn signed_maps_use_the_diverging_colours_centred_on_white() {
    let dir = scratch("png_signed");
    let spec = dir.join("signed.conv");
    std::fs::write(
        &spec,
        "input x (1, 1, 3, 1) = [-2 0 2]\nlayer y = conv2d(x) {\n  kernel_size = 1\n  filter = [1]\n}\n",
    )
    .unwrap();
    let o = convc(&[
        "run",
        spec.to_str().unwrap(),
        "--png",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let img = image::open(dir.join("y_c0_min-2_max2.png"))
        .unwrap()
        .to_rgb8();
    let (w, h) = (img.width(), img.height());
    let at = |x: u32| img.get_pixel(x, h - 1).0;
    // Corners of the cells (away from the printed numbers): blue, white, red.
    assert_eq!(at(0), [5, 48, 97]);
    assert_eq!(at(w / 2 - 10), [255, 255, 255]);
    assert_eq!(at(w - 1), [103, 0, 31]);
}

#[test]
fn dead_maps_are_flagged() {
    let dir = scratch("png_dead");
    let spec = dir.join("dead.conv");
    std::fs::write(
        &spec,
        "input x (1, 4, 1) = [1 2 3 4]\nlayer y = conv1d(x) {\n  filter alive = [1]\n  filter gone = [-1]\n  activation = relu\n}\n",
    )
    .unwrap();
    let o = convc(&[
        "run",
        spec.to_str().unwrap(),
        "--png",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("`y` channel 1 (gone) is all zero"), "{err}");
    assert!(!err.contains("channel 0"), "{err}");
    assert!(dir.join("y_c1_gone_min0_max0.png").exists());
}

#[test]
fn an_unwritable_folder_exits_2_before_running() {
    let dir = scratch("png_unwritable");
    let file = dir.join("a_file");
    std::fs::write(&file, "not a folder").unwrap();
    let inside = file.join("pictures");
    let o = convc(&[
        "run",
        "specs/seed/bump.conv",
        "--png",
        inside.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty(), "nothing was computed or printed");
    assert!(
        stderr(&o).contains("error[E0504]: cannot create the picture folder"),
        "{}",
        stderr(&o)
    );
    let o = convc(&[
        "report",
        "specs/seed/bump.conv",
        "-o",
        inside.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("error[E0503]: cannot write"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn piped_and_quiet_runs_print_nothing_extra() {
    let dir = scratch("png_quiet");
    let json = convc(&["run", "specs/seed/bump.conv", "--format", "json"]);
    let o = convc(&[
        "run",
        "specs/seed/bump.conv",
        "--format",
        "json",
        "--png",
        dir.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(o.stdout, json.stdout, "stdout stays pure JSON");
    assert_eq!(
        stderr(&o),
        "",
        "no progress bar on a pipe, no note with --quiet"
    );
    let o = convc(&[
        "report",
        "specs/seed/bump.conv",
        "-o",
        dir.join("r.html").to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stderr(&o), "");
    assert!(o.stdout.is_empty());
}

#[test]
fn one_d_and_three_d_outputs_render() {
    let dir = scratch("png_ranks");
    for spec in [
        "specs/features/channels1d.conv",
        "specs/features/conv3d.conv",
    ] {
        let o = convc(&["run", spec, "--all", "--png", dir.to_str().unwrap(), "-q"]);
        assert_eq!(o.status.code(), Some(0), "{spec}: {}", stderr(&o));
    }
    // A 1-D map is a plot, wider than tall; a 3-D map a strip of its depth slices.
    let plot = image::open(dir.join("mixed_sheet.png")).unwrap();
    assert!(plot.width() > plot.height() / 2);
    let strip = image::open(dir.join("cubes_c0_diagonal_min1_max3.png")).unwrap();
    assert!(
        strip.width() > 2 * strip.height() - 40,
        "two slices side by side"
    );
}
