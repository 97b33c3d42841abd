//! Attune's browser boundary (wasm-bindgen exports) and DOM front.
