//! libFuzzer entry: an order export (CSV or gzip) → the importer, the catalog reader, the builder.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| attune_fuzz::order_export(data));
