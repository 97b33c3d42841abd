//! libFuzzer entry: model bytes (as fetched by the widget) → `Model::from_bytes`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| attune_fuzz::model_bytes(data));
