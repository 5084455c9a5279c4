//! The hot calls: `readInto`, `read`, `asBuffer`, `updateRegion` (files and segments), the eight
//! atomics, and `RingBuffer.push`/`pop`, as plain Node-API functions taking a handle.
//!
//! Why not `#[napi]` methods: a napi-rs 3.16 method call on `&self` registers the borrow in a
//! process-wide `Mutex<HashMap>` and identifies the receiver with two private-symbol lookups
//! (`napi_check_object_type_tag`, `napi_unwrap`); an 8-byte `readInto` cost ~500 ns that way. Here
//! an object is registered once (`register`, which checks its class by type tag) and the JS layer
//! (`lib/hot.js`) keeps the returned handle in a private class field; each later call passes the
//! handle as a plain number and costs one table lookup. napi-rs has no way to declare such a
//! function, so `calls.rs` is written against Node-API directly and kept to these few bodies.

mod calls;

pub use calls::functions;
