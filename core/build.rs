//! Compiles the small C guard that turns SIGBUS (Windows: EXCEPTION_IN_PAGE_ERROR) in mmapkit's
//! own accesses into an error; see src/guard.rs.
fn main() {
  let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
  let target_family = std::env::var("CARGO_CFG_TARGET_FAMILY").unwrap_or_default();
  let source = if target_family == "unix" {
    "src/guard/unix.c"
  } else if target_os == "windows" {
    "src/guard/windows.c"
  } else {
    return;
  };
  println!("cargo:rerun-if-changed={source}");
  cc::Build::new()
    .file(source)
    .warnings(true)
    .compile("mmapkit_guard");
}
