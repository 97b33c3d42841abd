//! libFuzzer entry: a first byte (even: a help-prompt configuration as JSON text; odd: the
//! prompts' stored memory text) → the config validator and the rules engine, or the memory's
//! text form.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| attune_fuzz::prompt_config(data));
