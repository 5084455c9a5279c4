//! Helpers shared by the core's unit tests.

/// `len` bytes drawn from `alphabet` by a 64-bit LCG seeded with `seed` (the same input every run).
pub fn pseudo_random(len: usize, alphabet: &[u8], seed: u64) -> Vec<u8> {
  let mut state = seed;
  (0..len)
    .map(|_| {
      state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
      alphabet[(state >> 33) as usize % alphabet.len()]
    })
    .collect()
}
