//! A stop request (Ctrl-C, SIGTERM, `--timeout`: `convc::cancel`) stops the JIT: every thread
//! polls it before each chunk of units, so once it is set no chunk starts and the call says
//! why it stopped. A test binary of its own, because the request is process-wide and cannot be
//! withdrawn: it would stop every other test running beside it.

use convc::cancel::{self, Cancelled, Reason};
use convc::{check, jit, pipeline};
use std::path::Path;

#[test]
fn a_requested_stop_stops_every_layer_call_before_its_first_chunk() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/bench/rgb_first_layer.conv");
    let loaded = pipeline::load(&path, check::DEFAULT_MAX_MEMORY, false).expect("spec loads");
    let model = &loaded.model;
    let compiled = jit::compile(model, &jit::Options::default()).expect("model compiles");
    let values = compiled
        .run(model, 2)
        .expect("runs while no stop is requested");
    let stopped = Err(jit::RunError::Cancelled(Cancelled(Reason::Timeout)));

    cancel::request(Reason::Timeout);
    for threads in [1, 2, 3] {
        assert_eq!(compiled.run(model, threads).map(|_| ()), stopped);
        // NaN marks every output no chunk wrote.
        let mut output = vec![f32::NAN; values[1].len()];
        let call = compiled.call_layer(model, 0, &[&values[0].data], &mut output, threads);
        assert_eq!(call, stopped, "{threads} threads");
        assert!(
            output.iter().all(|x| x.is_nan()),
            "{threads} threads: a chunk ran after the stop request"
        );
    }
}
