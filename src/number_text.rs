//! How JavaScript writes a number as text, for the "Received ..." part of Node-style messages.
//! Plain Rust with no Node-API, so every layer of the binding (`js.rs`, `args.rs`, `node_error/`)
//! may use it.

/// Formats a number as JS prints it in messages (integers without `.0`).
pub fn format_number(n: f64) -> String {
  if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e21 {
    format!("{n:.0}")
  } else if n.is_nan() {
    "NaN".into()
  } else if n.is_infinite() {
    if n > 0.0 { "Infinity" } else { "-Infinity" }.into()
  } else {
    format!("{n}")
  }
}
