//! Random multi-layer models on the JIT, compared with the interpreter layer by layer (the
//! builder and the comparison live in `jit::harness::multi`, shared with the fuzz targets).
//!
//! `CONVC_JIT_MULTI_CASES` sets the number of models (default 500).

use super::models;
pub use crate::jit::harness::multi::*;
use proptest::prelude::*;

pub fn multi_case() -> impl Strategy<Value = MultiCase> {
    (
        models::layer_case(),
        prop::collection::vec(
            (models::layer_case(), any::<u8>(), any::<u8>()).prop_map(
                |(layer, source, partner)| Step {
                    layer,
                    source,
                    partner,
                },
            ),
            2..=5,
        ),
    )
        .prop_map(|(input, steps)| MultiCase { input, steps })
}

fn cases() -> u32 {
    super::cases_from("CONVC_JIT_MULTI_CASES")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn multi_layer_models_agree_layer_by_layer(case in multi_case()) {
        let model = build(&case);
        if let Err(why) = agree_layer_by_layer(&model) {
            prop_assert!(false, "{why}\n{model:#?}");
        }
    }
}
