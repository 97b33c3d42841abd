//! libFuzzer entry: a catalog file (CSV, Merchant Center TSV or RSS XML) → the catalog reader.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| attune_fuzz::product_feed(data));
