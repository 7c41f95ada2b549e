//! The generated code never touches memory outside its buffers.
//!
//! Every layer of every spec and of random models is called through [`Compiled::call_layer`]
//! with each buffer (every input and the output) placed flush against an inaccessible
//! (`PROT_NONE`) page: once with the buffer's last float right before the guard page, once
//! with its first float right after one. A read or write one float past either end then
//! raises SIGSEGV and the test process dies instead of passing. The guarded results must
//! also equal the ordinary run ([`Compiled::run`]) bit for bit.

use crate::ir::{Model, Tensor, ValueKind};
use crate::jit::Compiled;
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
    let values: Vec<Tensor> = compiled.run(model, 1).expect("the JIT runs");
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
                .expect("the JIT runs");
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
