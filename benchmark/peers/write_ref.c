// The C reference for 64-byte writes in `npm run bench` (benchmark/bench.mjs compiles it with
// `gcc -O2` and runs it once per round): memcpy of `span` bytes into a MAP_SHARED, PROT_READ |
// PROT_WRITE mapping of the whole file (what a readWrite MemoryMappedFile maps) at the same
// offsets as the JS side, with no JavaScript, Node-API or bounds check in the way.
//
//   write_ref <file> <count> <span> <seed>
//
// Offsets: `count` draws of the 32-bit LCG of lcgOffsets() in ../lib.mjs (x = x * 1664525 +
// 1013904223, slot = floor(x * slots / 2^32)), `span`-aligned, in [0, size - span]. The same
// sequence as bench.mjs, so both write the very same bytes; the offsets' checksum in the output
// proves it. Steps, the same as the JS side's:
//   1. map the file, write at every offset once (so every page is in the page table), fdatasync:
//      the pages are clean again and their page-table entries write-protected;
//   2. clean: time one pass of memcpy at every offset (the first write to a page faults);
//   3. dirty: time a second pass (the pages are dirty and writable: a plain memcpy).
// The data written is 0x5a bytes, as in bench.mjs. Output: one JSON object, ns per write.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

// Makes the compiler assume the memory behind `p` is read, so no store into it can be dropped.
#define ESCAPE(p) __asm__ volatile("" : : "r"(p) : "memory")

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

// noinline: the loop is timed as one function, like the JS loops, and memcpy stays a call-free
// copy of a runtime length (as in the binding, whose length comes from the caller).
__attribute__((noinline)) static void write_pass(uint8_t *map, const uint64_t *offsets, size_t count,
                                                 const uint8_t *data, size_t span) {
  for (size_t i = 0; i < count; i++) {
    memcpy(map + offsets[i], data, span);
    ESCAPE(map);
  }
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s <file> <count> <span> <seed>\n", argv[0]);
    return 2;
  }
  const char *path = argv[1];
  size_t count = strtoull(argv[2], NULL, 10);
  uint64_t span = strtoull(argv[3], NULL, 10);
  uint32_t seed = (uint32_t)strtoul(argv[4], NULL, 10);

  int fd = open(path, O_RDWR);
  if (fd < 0) {
    perror("open");
    return 1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    perror("fstat");
    return 1;
  }
  uint64_t size = (uint64_t)st.st_size;
  if (span == 0 || size < span) {
    fprintf(stderr, "the file is shorter than one write\n");
    return 1;
  }
  uint8_t *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) {
    perror("mmap");
    return 1;
  }

  uint64_t *offsets = malloc(count * sizeof *offsets);
  uint8_t *data = malloc(span);
  if (!offsets || !data) {
    perror("malloc");
    return 1;
  }
  memset(data, 0x5a, span);
  uint64_t slots = (size - span) / span + 1;
  uint32_t x = seed, checksum = 0;
  for (size_t i = 0; i < count; i++) {
    x = x * 1664525u + 1013904223u;
    uint64_t slot = (uint64_t)(((unsigned __int128)x * slots) >> 32);
    offsets[i] = slot * span;
    checksum += (uint32_t)slot;
  }

  // 1. Every page in the page table, then clean and write-protected.
  write_pass(map, offsets, count, data, span);
  if (fdatasync(fd) != 0) {
    perror("fdatasync");
    return 1;
  }
  // 2. Clean pages.
  double start = now_ns();
  write_pass(map, offsets, count, data, span);
  double clean = (now_ns() - start) / (double)count;
  // 3. Dirty pages.
  start = now_ns();
  write_pass(map, offsets, count, data, span);
  double dirty = (now_ns() - start) / (double)count;

  munmap(map, size);
  close(fd);
  printf("{\"offsetsChecksum\":%u,\"cleanNsPerOp\":%.3f,\"dirtyNsPerOp\":%.3f}\n", checksum, clean, dirty);
  return 0;
}
