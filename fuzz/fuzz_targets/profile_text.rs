//! libFuzzer entry: the stored profile's text form → `Profile::parse_text` and the lists the
//! placements read.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| attune_fuzz::profile_text(data));
