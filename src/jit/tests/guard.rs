//! The generated code never touches memory outside its buffers.
//!
//! Every layer of every spec and of random models is called through [`Compiled::call_layer`]
//! with each buffer (every input and the output) placed flush against an inaccessible
//! (`PROT_NONE`) page: once with the buffer's last float right before the guard page, once
//! with its first float right after one. A read or write one float past either end then
//! raises SIGSEGV and the test process dies instead of passing. The guarded results must
//! also equal the ordinary run ([`Compiled::run`]) bit for bit.

#![cfg(unix)]

use super::super::{compile, Compiled, Options};
use super::models;
use crate::ir::{Model, Tensor, ValueKind};
use crate::pipeline;
use proptest::prelude::*;
use std::path::Path;
use std::ptr::NonNull;

/// Which end of the buffer touches the guard page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The buffer ends exactly where the inaccessible page begins.
    After,
    /// The buffer begins exactly where the inaccessible page ends.
    Before,
}

/// An `f32` buffer in its own mapping, one of whose ends touches a `PROT_NONE` page.
pub struct Guarded {
    base: NonNull<libc::c_void>,
    map_len: usize,
    data: NonNull<f32>,
    len: usize,
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size).expect("page size")
}

impl Guarded {
    /// A guarded copy of `values`; `shift` floats moves the buffer that many floats *towards*
    /// the guard page (0 in the real test; 1 only to show that the test can fail).
    pub fn new(values: &[f32], side: Side, shift: usize) -> Guarded {
        let page = page_size();
        let bytes = std::mem::size_of_val(values);
        let data_pages = bytes.div_ceil(page).max(1);
        let map_len = (data_pages + 1) * page;
        // SAFETY: an anonymous private mapping of fresh memory; checked for failure below.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(base, libc::MAP_FAILED, "mmap failed");
        let base_u8 = base.cast::<u8>();
        let shift_bytes = shift * std::mem::size_of::<f32>();
        let (guard, start) = match side {
            // [data pages ... | guard]: the buffer ends at the guard.
            Side::After => {
                // SAFETY: both offsets lie inside the mapping.
                unsafe {
                    let guard = base_u8.add(data_pages * page);
                    (guard, guard.sub(bytes).add(shift_bytes))
                }
            }
            // [guard | data pages ...]: the buffer starts right after the guard.
            Side::Before => {
                // SAFETY: both offsets lie inside the mapping.
                unsafe { (base_u8, base_u8.add(page).sub(shift_bytes)) }
            }
        };
        // SAFETY: `guard` is page-aligned and one page of the mapping.
        let rc = unsafe { libc::mprotect(guard.cast(), page, libc::PROT_NONE) };
        assert_eq!(rc, 0, "mprotect failed");
        let data = start.cast::<f32>();
        // SAFETY: with shift 0, `data..data + len` is inside the writable pages (it ends at the
        // guard or starts after it), and f32-aligned since `bytes` is a multiple of 4. (With
        // a nonzero shift this copy itself touches the guard page: only the failing check
        // uses that, on the output buffer, where the copy is skipped.)
        if shift == 0 {
            unsafe { std::ptr::copy_nonoverlapping(values.as_ptr(), data, values.len()) };
        }
        Guarded {
            base: NonNull::new(base).expect("mmap returned null"),
            map_len,
            data: NonNull::new(data).expect("non-null"),
            len: values.len(),
        }
    }

    pub fn as_slice(&self) -> &[f32] {
        // SAFETY: `data` points to `len` initialised floats in this live mapping.
        unsafe { std::slice::from_raw_parts(self.data.as_ptr(), self.len) }
    }

    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        // SAFETY: as above, and `&mut self` makes the access unique.
        unsafe { std::slice::from_raw_parts_mut(self.data.as_ptr(), self.len) }
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        // SAFETY: `base`/`map_len` are exactly the mapping made in `new`; no slice outlives
        // `self`.
        let rc = unsafe { libc::munmap(self.base.as_ptr(), self.map_len) };
        assert_eq!(rc, 0, "munmap failed");
    }
}

/// The value ids of the model's layers, in model order (the `k` of `call_layer`).
fn layer_ids(model: &Model) -> Vec<usize> {
    (0..model.values.len())
        .filter(|&i| matches!(model.values[i].kind, ValueKind::Layer(_)))
        .collect()
}

/// Calls every layer on guarded copies of its inputs (the ordinary run's values) into a
/// guarded, zeroed output, on both sides, and compares with the ordinary run bit for bit.
/// Returns the number of layers checked.
pub fn check_guarded(model: &Model, compiled: &Compiled, what: &str) -> usize {
    let values: Vec<Tensor> = compiled.run(model, 1).unwrap();
    let ids = layer_ids(model);
    for (k, &id) in ids.iter().enumerate() {
        let ValueKind::Layer(layer) = &model.values[id].kind else {
            unreachable!()
        };
        for side in [Side::After, Side::Before] {
            let inputs: Vec<Guarded> = layer
                .inputs
                .iter()
                .map(|&i| Guarded::new(&values[i].data, side, 0))
                .collect();
            let slices: Vec<&[f32]> = inputs.iter().map(Guarded::as_slice).collect();
            let mut output = Guarded::new(&vec![0.0; values[id].len()], side, 0);
            compiled
                .call_layer(model, k, &slices, output.as_mut_slice(), 1)
                .unwrap();
            let expected = &values[id].data;
            let got = output.as_slice();
            for (i, (g, e)) in got.iter().zip(expected).enumerate() {
                assert!(
                    g.to_bits() == e.to_bits(),
                    "{what} layer `{}` ({side:?} guard): value {i} is {g} guarded, {e} in run",
                    model.values[id].name
                );
            }
        }
    }
    ids.len()
}

fn compiled(model: &Model) -> Compiled {
    compile(
        model,
        &Options {
            verify: true,
            ..Options::default()
        },
    )
    .unwrap_or_else(|e| panic!("compile: {e}"))
}

#[test]
fn every_spec_stays_inside_its_buffers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
    let dirs = ["seed", "features", "examples"].map(|d| root.join(d));
    let specs = crate::testing::collect(&dirs).expect("specs exist");
    let mut layers = 0;
    let mut count = 0;
    for path in specs.iter().filter(|p| !crate::testing::is_error_spec(p)) {
        let loaded = pipeline::load(path, crate::check::DEFAULT_MAX_MEMORY, false)
            .unwrap_or_else(|e| panic!("{} should load:\n{}", path.display(), e.message));
        let model = &loaded.model;
        layers += check_guarded(model, &compiled(model), &path.display().to_string());
        count += 1;
    }
    assert!(count > 20, "only {count} specs were checked");
    assert!(layers > 100, "only {layers} layers were checked");
}

fn cases() -> u32 {
    std::env::var("CONVC_JIT_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(500)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn random_layers_stay_inside_their_buffers(case in models::layer_case()) {
        let model = models::build(&case);
        prop_assume!(model.is_some());
        let model = model.unwrap();
        check_guarded(&model, &compiled(&model), "random model");
    }
}

/// The guard catches a read one float past the end and one float before the start: a child
/// process (this same test binary, filtered to `guard_child`) calls a layer with one input
/// buffer moved one float into the guard page, and must die of SIGSEGV (or SIGBUS).
#[test]
fn an_overrun_by_one_float_crashes() {
    if let Ok(side) = std::env::var("CONVC_GUARD_CHILD") {
        let side = if side == "after" {
            Side::After
        } else {
            Side::Before
        };
        overrun(side);
        return;
    }
    for side in ["after", "before"] {
        let exe = std::env::current_exe().expect("test binary");
        let status = std::process::Command::new(exe)
            .args([
                "--exact",
                "jit::tests::guard::an_overrun_by_one_float_crashes",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("CONVC_GUARD_CHILD", side)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("run the child");
        use std::os::unix::process::ExitStatusExt;
        let signal = status.signal();
        assert!(
            matches!(signal, Some(libc::SIGSEGV | libc::SIGBUS)),
            "{side}: a layer reading one float past its buffer did not crash ({status:?})"
        );
    }
}

/// Runs a small 3x3 valid convolution (it reads every input float) whose input buffer is
/// moved one float into the guard page: the buffer has the right length, but its last (or
/// first) float is inaccessible, exactly as if the code read one float past the real buffer.
fn overrun(side: Side) {
    let case = models::LayerCase {
        op: 0,
        rank: 2,
        batch: 1,
        sizes: [1, 5, 5],
        kernel: [1, 3, 3],
        stride: [1, 1, 1],
        dilation: [1, 1, 1],
        padding: [0, 0, 0],
        mode: 0,
        groups: 1,
        channels_per_group: 1,
        filters_per_group: 1,
        activation: 0,
        use_bias: false,
        integers: true,
        seed: 1,
    };
    let model = models::build(&case).expect("a valid model");
    let compiled = compiled(&model);
    let len = model.values[0].shape.iter().product();
    // Not copied into: the mapping is zero-filled, and the copy would itself hit the guard.
    let input = Guarded::new(&vec![0.0; len], side, 1);
    let mut output = vec![0.0; model.values[1].shape.iter().product()];
    compiled
        .call_layer(&model, 0, &[input.as_slice()], &mut output, 1)
        .unwrap();
}
