//! Running compiled code: buffers, calls, and the code memory's lifetime.

use super::pool::{Chunks, RunError, Workers};
use super::LayerReport;
use crate::ir::{Model, Tensor, ValueId, ValueKind};
use cranelift_jit::JITModule;
use std::time::Duration;

/// A generated layer function: `(inputs, output, first_unit, end_unit)`; it computes the
/// outputs of units `first_unit..end_unit` (see `walk::Walk::units`) and nothing else.
pub type LayerFn = unsafe extern "C" fn(*const *const f32, *mut f32, i64, i64);

/// One layer's compiled function and how its work splits.
#[derive(Clone, Copy)]
pub struct LayerCode {
    pub id: ValueId,
    pub function: LayerFn,
    /// Units of work the function's range counts (1: it cannot be split).
    pub units: usize,
    /// Multiply-adds (or element operations) in all, to decide whether threads pay.
    pub work: usize,
}

/// Work per thread below which a layer runs on fewer threads: waking a worker costs some
/// 10-50 µs, about what 1-2 million multiply-adds take at 50-100 GFLOP/s.
const MIN_WORK_PER_THREAD: usize = 1 << 21;

/// Chunks per thread: the threads take chunks until none is left, so a thread that starts
/// late or is held back by the scheduler leaves only its last chunk to wait for.
const CHUNKS_PER_THREAD: usize = 4;

/// Work per chunk above which a layer is cut finer, even on one thread: a stop request
/// (`crate::cancel`) is noticed between chunks, so it waits at most one (~0.3 ms at
/// 50 GFLOP/s). Each chunk is one call of the layer function, which costs nanoseconds.
const MAX_WORK_PER_CHUNK: usize = 1 << 24;

/// The buffers of one call, shared by the threads that split it.
#[derive(Clone, Copy)]
struct Call {
    inputs: *const *const f32,
    output: *mut f32,
}

// SAFETY: the threads of one call write disjoint units of the output (each unit's outputs
// are written only by the code for that unit) and only read the inputs; the buffers outlive
// the call, which returns only after every thread is done with its chunks.
unsafe impl Send for Call {}
unsafe impl Sync for Call {}

impl LayerCode {
    /// How many threads to use, at most `threads`, each with at least `min_work`.
    fn threads(&self, threads: usize, min_work: usize) -> usize {
        threads
            .min(self.units)
            .min(self.work / min_work.max(1))
            .max(1)
    }

    /// How the units are cut for `threads` threads.
    fn chunks(&self, threads: usize) -> Chunks {
        let for_threads = if threads > 1 {
            threads.saturating_mul(CHUNKS_PER_THREAD)
        } else {
            1
        };
        let for_stops = self.work / MAX_WORK_PER_CHUNK;
        Chunks {
            units: self.units,
            chunks: for_threads.max(for_stops).min(self.units).max(1),
        }
    }

    /// Calls the function on contiguous ranges of units, on up to `threads` threads (the
    /// calling one and `workers`); `Err` if a stop was requested or no worker could start.
    ///
    /// # Safety
    /// The buffers must have the lengths the function was specialised to.
    unsafe fn call(
        &self,
        call: Call,
        threads: usize,
        min_work: usize,
        workers: &Workers,
    ) -> Result<(), RunError> {
        let threads = self.threads(threads, min_work);
        let function = self.function;
        let work = move |lo: usize, hi: usize| {
            let call = call;
            // SAFETY: as for the caller; units `lo..hi` are this chunk's alone, and unit
            // numbers fit in i64 (they count rows of a buffer that fits in memory).
            unsafe { function(call.inputs, call.output, lo as i64, hi as i64) }
        };
        workers.run(threads, self.chunks(threads), &work)
    }
}

/// Owns a JIT module and frees its code memory when dropped (Cranelift leaks it otherwise).
pub struct CodeMemory(Option<JITModule>);

impl CodeMemory {
    pub fn new(module: JITModule) -> CodeMemory {
        CodeMemory(Some(module))
    }

    pub fn module_mut(&mut self) -> &mut JITModule {
        // Only `Drop` takes the module out.
        self.0
            .get_or_insert_with(|| unreachable!("module taken before drop"))
    }
}

impl Drop for CodeMemory {
    fn drop(&mut self) {
        if let Some(module) = self.0.take() {
            // SAFETY: the function pointers into this memory live in the `Compiled` that owns
            // this `CodeMemory`, and are dropped with it.
            unsafe { module.free_memory() };
        }
    }
}

/// A model's compiled code, ready to run.
pub struct Compiled {
    /// The threads that split layers (started by the first call that wants them); dropped
    /// before the code they run.
    workers: Workers,
    memory: CodeMemory,
    /// The layer functions, in model order.
    layers: Vec<LayerCode>,
    /// The shapes the code was specialised to, checked on every run.
    shapes: Vec<Vec<usize>>,
    pub reports: Vec<LayerReport>,
    /// The module's one `finalize_definitions` (relocation, making code executable).
    pub finalize_time: Duration,
    /// Everything, from building the ISA to finalizing.
    pub total_time: Duration,
}

impl Compiled {
    pub(super) fn new(
        memory: CodeMemory,
        model: &Model,
        layers: Vec<LayerCode>,
        reports: Vec<LayerReport>,
        finalize_time: Duration,
        total_time: Duration,
    ) -> Compiled {
        Compiled {
            workers: Workers::default(),
            memory,
            layers,
            shapes: model.values.iter().map(|v| v.shape.clone()).collect(),
            reports,
            finalize_time,
            total_time,
        }
    }

    /// Calls the function of the `k`-th layer (in model order) on buffers the caller owns:
    /// for benchmarks, which time the generated code alone. `Err` if a stop was requested
    /// (the output is then incomplete) or the worker threads could not start.
    ///
    /// # Panics
    /// If a buffer's length differs from the shape the layer was compiled for.
    pub fn call_layer(
        &self,
        model: &Model,
        k: usize,
        inputs: &[&[f32]],
        output: &mut [f32],
        threads: usize,
    ) -> Result<(), RunError> {
        let code = self.layers[k];
        let id = code.id;
        let ValueKind::Layer(layer) = &model.values[id].kind else {
            unreachable!("layers holds layer ids")
        };
        let len = |v: usize| self.shapes[v].iter().product::<usize>();
        assert_eq!(inputs.len(), layer.inputs.len(), "input count");
        for (buffer, &v) in inputs.iter().zip(&layer.inputs) {
            assert_eq!(buffer.len(), len(v), "input buffer length");
        }
        assert_eq!(output.len(), len(id), "output buffer length");
        let pointers: Vec<*const f32> = inputs.iter().map(|b| b.as_ptr()).collect();
        let call = Call {
            inputs: pointers.as_ptr(),
            output: output.as_mut_ptr(),
        };
        // SAFETY: every buffer has the length the code was specialised to (checked above).
        unsafe { code.call(call, threads, MIN_WORK_PER_THREAD, &self.workers) }
    }

    /// Computes every value of the model (inputs included), indexed like `model.values`, as
    /// `interp::run` does, splitting large layers over up to `threads` threads (the results
    /// are the same, bit for bit, for any number). `Err` if a stop was requested (see
    /// `crate::cancel`; polled between chunks of every layer) or the worker threads could not
    /// start.
    ///
    /// # Panics
    /// If `model` is not the model this was compiled for (its shapes differ): running code
    /// specialised to other shapes would read and write out of bounds.
    pub fn run(&self, model: &Model, threads: usize) -> Result<Vec<Tensor>, RunError> {
        self.run_split(model, threads, MIN_WORK_PER_THREAD)
    }

    /// [`Self::run`], splitting every layer that has at least `min_work` per thread (tests
    /// split even tiny layers with 0).
    pub(crate) fn run_split(
        &self,
        model: &Model,
        threads: usize,
        min_work: usize,
    ) -> Result<Vec<Tensor>, RunError> {
        let same_shapes = model.values.len() == self.shapes.len()
            && model
                .values
                .iter()
                .zip(&self.shapes)
                .all(|(v, s)| &v.shape == s);
        assert!(
            same_shapes,
            "Compiled::run was given another model than it compiled"
        );
        let _ = &self.memory;
        let mut values: Vec<Tensor> = Vec::with_capacity(model.values.len());
        let mut next_layer = self.layers.iter();
        for value in &model.values {
            let tensor = match &value.kind {
                ValueKind::Input(tensor) => tensor.clone(),
                ValueKind::Layer(layer) => {
                    let Some(code) = next_layer.next() else {
                        unreachable!("one function per layer")
                    };
                    let mut output = Tensor::zeros(value.shape.clone());
                    let inputs: Vec<*const f32> = layer
                        .inputs
                        .iter()
                        .map(|&i| values[i].data.as_ptr())
                        .collect();
                    // SAFETY: the function was generated for exactly these shapes (checked
                    // above), the input buffers hold `product(shape)` floats each (the `ir`
                    // invariant) and the output buffer was just allocated with its shape.
                    let call = Call {
                        inputs: inputs.as_ptr(),
                        output: output.data.as_mut_ptr(),
                    };
                    unsafe { code.call(call, threads, min_work, &self.workers)? };
                    output
                }
            };
            values.push(tensor);
        }
        Ok(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    unsafe extern "C" fn nothing(_: *const *const f32, _: *mut f32, _: i64, _: i64) {}

    fn code(units: usize, work: usize) -> LayerCode {
        LayerCode {
            id: 0,
            function: nothing,
            units,
            work,
        }
    }

    #[test]
    fn chunks_keep_stop_requests_prompt_and_threads_busy() {
        // resnet_3x3_deep (224 rows, 925M multiply-adds): cut for stops, even on one thread.
        let deep = code(224, 924_844_032);
        for threads in [1, 2] {
            let c = deep.chunks(threads);
            assert_eq!(c.units, 224);
            assert!(deep.work / c.chunks <= MAX_WORK_PER_CHUNK + deep.work / 224);
        }
        // image_sobel (2046 rows, 75M): 4 chunks for stops on one thread, 4 per thread on more.
        let sobel = code(2046, 75_350_088);
        assert_eq!(sobel.chunks(1).chunks, 4);
        assert_eq!(sobel.chunks(2).chunks, 2 * CHUNKS_PER_THREAD);
        // Never more chunks than units, never none.
        assert_eq!(code(3, 1 << 30).chunks(2).chunks, 3);
        assert_eq!(code(0, 0).chunks(2).chunks, 1);
        assert_eq!(code(1, 10).chunks(1).chunks, 1);
    }

    #[test]
    fn small_layers_run_on_fewer_threads() {
        assert_eq!(
            code(100, MIN_WORK_PER_THREAD).threads(2, MIN_WORK_PER_THREAD),
            1
        );
        assert_eq!(
            code(100, 2 * MIN_WORK_PER_THREAD).threads(2, MIN_WORK_PER_THREAD),
            2
        );
        assert_eq!(code(1, 1 << 30).threads(2, MIN_WORK_PER_THREAD), 1);
        assert_eq!(code(5, 5).threads(3, 0), 3);
    }
}
