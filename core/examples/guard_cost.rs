//! What the truncation guard costs per access: 4 KiB copies out of a warm mapping at random
//! aligned offsets, with and without the guard, in one run (medians of 7 rounds).
//!
//!   cargo run --release -p mmapkit-core --example guard_cost
use std::hint::black_box;
use std::time::Instant;

use mmapkit_core::guard::guarded;

fn main() {
  let len = 64 << 20;
  let mut file = tempfile::tempfile().unwrap();
  std::io::Write::write_all(&mut file, &vec![7u8; len]).unwrap();
  let map = memmap2::MmapOptions::new().map_raw(&file).unwrap();
  let base = map.as_ptr();
  let mut target = vec![0u8; 4096];
  let offsets: Vec<usize> = (0..200_000u64)
    .map(|i| ((i.wrapping_mul(2_654_435_761) % (len as u64 / 4096)) * 4096) as usize)
    .collect();
  let mut plain = Vec::new();
  let mut with_guard = Vec::new();
  for _ in 0..7 {
    let started = Instant::now();
    for &offset in &offsets {
      // SAFETY: offsets are inside the mapping; `target` is separate memory.
      unsafe { std::ptr::copy_nonoverlapping(base.add(offset), target.as_mut_ptr(), 4096) };
      black_box(&target);
    }
    plain.push(started.elapsed().as_nanos() as f64 / offsets.len() as f64);
    let started = Instant::now();
    for &offset in &offsets {
      let dst = target.as_mut_ptr();
      // SAFETY: as above; the closure owns nothing.
      unsafe { guarded(|| std::ptr::copy_nonoverlapping(base.add(offset), dst, 4096)) }.unwrap();
      black_box(&target);
    }
    with_guard.push(started.elapsed().as_nanos() as f64 / offsets.len() as f64);
  }
  let median = |v: &mut Vec<f64>| {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
  };
  let (plain, guarded_ns) = (median(&mut plain), median(&mut with_guard));
  println!(
    "{{\"copy_ns\": {plain:.1}, \"guarded_copy_ns\": {guarded_ns:.1}, \"guard_ns\": {:.1}}}",
    guarded_ns - plain
  );
}
