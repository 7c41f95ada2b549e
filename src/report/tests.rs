use super::*;
use crate::pipeline::load_source;
use std::path::Path;

const SPEC: &str = "
input signal (1, 8, 1) = [0 0 0 1 1 0 0 0]
layer bump = conv1d(signal) {
    filter middle = [0 1 0]
}
layer dead = conv1d(signal) {
    filter = [1 1 1]
    bias = -10
    activation = relu
}
layer both = add(bump, dead)
";

fn page() -> String {
    let loaded = load_source(Path::new("t.conv"), SPEC.to_string(), 1 << 30, false).unwrap();
    let values = crate::interp::run(&loaded.model);
    report(&loaded, &values, &Progress::hidden()).unwrap()
}

#[test]
fn one_section_per_value_with_its_pictures() {
    let page = page();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert_eq!(page.matches("<section class=\"value input\"").count(), 1);
    assert_eq!(page.matches("<section class=\"value layer\"").count(), 3);
    for name in ["signal", "bump", "dead", "both"] {
        assert!(page.contains(&format!("data-name=\"{name}\"")), "{name}");
    }
    // A map sheet for each of the four values, a filter sheet for each of the two convolutions.
    assert_eq!(page.matches("<figure class=\"maps\">").count(), 4);
    assert_eq!(page.matches("<figure class=\"filters\">").count(), 2);
    assert_eq!(page.matches("src=\"data:image/png;base64,").count(), 6);
}

#[test]
fn the_page_holds_the_spec_summary_geometry_and_warnings() {
    let page = page();
    assert!(page.contains("layer bump = conv1d(signal) {"));
    assert!(page.contains("Model: t.conv"));
    assert!(page.contains("floor((8 + 0 + 0 - 3) / 1) + 1 = 6"));
    assert!(page.contains("<dd>0 .. 1</dd>"), "the value range of bump");
    assert!(page.contains("`dead` channel 0 is all zero"));
    assert_eq!(page.matches("class=\"warning\"").count(), 1);
}

#[test]
fn the_page_loads_nothing_from_outside() {
    let page = page();
    assert!(page.contains("default-src 'none'"));
    assert!(!page.contains("http://") && !page.contains("https://"));
    assert!(!page.contains(" src=\"http") && !page.contains("<link"));
}
