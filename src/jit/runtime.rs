//! Running compiled code: buffers, calls, and the code memory's lifetime.

use super::LayerReport;
use crate::ir::{Model, Tensor, ValueId, ValueKind};
use cranelift_jit::JITModule;
use std::time::Duration;

/// A generated layer function: `(inputs, output)`.
pub type LayerFn = unsafe extern "C" fn(*const *const f32, *mut f32);

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
    // Field order matters only for readability: nothing refers to the memory after drop.
    memory: CodeMemory,
    /// The layer functions, by value id, in model order.
    layers: Vec<(ValueId, LayerFn)>,
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
        layers: Vec<(ValueId, LayerFn)>,
        reports: Vec<LayerReport>,
        finalize_time: Duration,
        total_time: Duration,
    ) -> Compiled {
        Compiled {
            memory,
            layers,
            shapes: model.values.iter().map(|v| v.shape.clone()).collect(),
            reports,
            finalize_time,
            total_time,
        }
    }

    /// Calls the function of the `k`-th layer (in model order) on buffers the caller owns:
    /// for benchmarks, which time the generated code alone.
    ///
    /// # Panics
    /// If a buffer's length differs from the shape the layer was compiled for.
    pub fn call_layer(&self, model: &Model, k: usize, inputs: &[&[f32]], output: &mut [f32]) {
        let (id, function) = self.layers[k];
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
        // SAFETY: every buffer has the length the code was specialised to (checked above).
        unsafe { function(pointers.as_ptr(), output.as_mut_ptr()) };
    }

    /// Computes every value of the model (inputs included), indexed like `model.values`, as
    /// `interp::run` does.
    ///
    /// # Panics
    /// If `model` is not the model this was compiled for (its shapes differ): running code
    /// specialised to other shapes would read and write out of bounds.
    pub fn run(&self, model: &Model) -> Vec<Tensor> {
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
                    let Some(&(_, function)) = next_layer.next() else {
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
                    unsafe { function(inputs.as_ptr(), output.data.as_mut_ptr()) };
                    output
                }
            };
            values.push(tensor);
        }
        values
    }
}
