//! libFuzzer entry: a merchant's help-prompt configuration (JSON text) → the JSON reader and
//! the config parser.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| attune_fuzz::prompt_config(data));
