// The hardware reference for `npm run bench:peers`: what the same reads cost in plain C on the same
// mapping of the same file, with no JavaScript or Node-API in the way. run.mjs compiles it with
// `gcc -O3 -march=native` and runs it once per round.
//
//   ref <file> <ops4k> <ops8Random> <ops8Hot> <hotWindow> <seed4k> <seed8Random> <seed8Hot>
//
// It maps the file read-only (MAP_PRIVATE), madvise(MADV_WILLNEED)s it and touches every page
// (the same warm-up as the JS side), then times, once each:
//   read4k    memcpy of 4 KiB from random 4 KiB-aligned offsets into a 4 KiB buffer
//   read8rand memcpy of 8 bytes from random 8-byte-aligned offsets anywhere in the file
//   read8hot  memcpy of 8 bytes from random 8-byte-aligned offsets in the first <hotWindow> bytes
//   seqSum    a sum of every 64-bit word of the file, front to back (the memory-bandwidth limit)
//   open      open + close, and open + fstat + mmap + munmap + close of the whole file (the system
//             calls under MemoryMappedFile.openRo(path).close(); readOnly maps MAP_PRIVATE with
//             PROT_READ | PROT_WRITE, memmap2's map_copy)
// The offsets come from the same 32-bit LCG as lcgOffsets() in ../lib.mjs; the output carries a
// checksum of the offsets and of the bytes read (first byte of each copy) so that run.mjs can
// prove JS and C read the very same blocks. Output: one JSON object on stdout, ns per operation.
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

// Makes the compiler assume `p`'s memory is read, so a memcpy into it cannot be optimised away.
#define ESCAPE(p) __asm__ volatile("" : : "r"(p) : "memory")

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

// Offsets in [0, size - span], multiples of align: slot = floor(x * slots / 2^32) per LCG step.
static uint64_t *lcg_offsets(size_t count, uint64_t size, uint64_t span, uint64_t align, uint32_t seed,
                             uint32_t *checksum) {
  uint64_t *offsets = malloc(count * sizeof *offsets);
  if (!offsets) {
    perror("malloc");
    exit(1);
  }
  uint64_t slots = (size - span) / align + 1;
  uint32_t x = seed, sum = 0;
  for (size_t i = 0; i < count; i++) {
    x = x * 1664525u + 1013904223u;
    uint64_t slot = (uint64_t)(((unsigned __int128)x * slots) >> 32);
    offsets[i] = slot * align;
    sum += (uint32_t)slot;
  }
  *checksum = sum;
  return offsets;
}

// noinline: each loop is timed as its own function, like the JS loops.
__attribute__((noinline)) static uint64_t copy_loop(const uint8_t *map, const uint64_t *offsets, size_t n,
                                                    uint8_t *buf, size_t length) {
  uint64_t sum = 0;
  for (size_t i = 0; i < n; i++) {
    memcpy(buf, map + offsets[i], length);
    ESCAPE(buf);
    sum += buf[0];
  }
  return sum;
}

// 8 bytes: a constant-size memcpy (one load, one store), the floor for any 8-byte read.
__attribute__((noinline)) static uint64_t copy8_loop(const uint8_t *map, const uint64_t *offsets, size_t n,
                                                     uint8_t *buf) {
  uint64_t sum = 0;
  for (size_t i = 0; i < n; i++) {
    memcpy(buf, map + offsets[i], 8);
    ESCAPE(buf);
    sum += buf[0];
  }
  return sum;
}

__attribute__((noinline)) static uint64_t seq_sum(const uint8_t *map, uint64_t size) {
  const uint64_t *words = (const uint64_t *)map;
  uint64_t sum = 0;
  for (uint64_t i = 0; i < size / 8; i++) sum += words[i];
  return sum;
}

// n cycles of open + close, or (with map) open + fstat + mmap + munmap + close; ns per cycle.
__attribute__((noinline)) static double open_cycles(const char *path, int n, int map) {
  double start = now_ns();
  for (int i = 0; i < n; i++) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      perror(path);
      exit(1);
    }
    if (map) {
      struct stat st;
      if (fstat(fd, &st) != 0) exit(1);
      void *m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
      if (m == MAP_FAILED) exit(1);
      munmap(m, (size_t)st.st_size);
    }
    close(fd);
  }
  return (now_ns() - start) / n;
}

int main(int argc, char **argv) {
  if (argc != 9) {
    fprintf(stderr, "usage: %s <file> <ops4k> <ops8Random> <ops8Hot> <hotWindow> <seed4k> <seed8Random> <seed8Hot>\n",
            argv[0]);
    return 2;
  }
  const char *path = argv[1];
  size_t ops4k = strtoull(argv[2], NULL, 10), ops8r = strtoull(argv[3], NULL, 10);
  size_t ops8h = strtoull(argv[4], NULL, 10);
  uint64_t hot = strtoull(argv[5], NULL, 10);
  uint32_t seed4k = strtoul(argv[6], NULL, 10), seed8r = strtoul(argv[7], NULL, 10);
  uint32_t seed8h = strtoul(argv[8], NULL, 10);

  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    perror(path);
    return 1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    perror("fstat");
    return 1;
  }
  uint64_t size = (uint64_t)st.st_size;
  const uint8_t *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (map == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  madvise((void *)map, size, MADV_WILLNEED);
  long page = sysconf(_SC_PAGESIZE);
  volatile uint64_t touch = 0;
  for (uint64_t at = 0; at < size; at += (uint64_t)page) touch += map[at];

  uint32_t c4k, c8r, c8h;
  uint64_t *o4k = lcg_offsets(ops4k, size, 4096, 4096, seed4k, &c4k);
  uint64_t *o8r = lcg_offsets(ops8r, size, 8, 8, seed8r, &c8r);
  uint64_t *o8h = lcg_offsets(ops8h, hot, 8, 8, seed8h, &c8h);
  static uint8_t block[4096] __attribute__((aligned(64)));
  static uint8_t word[8] __attribute__((aligned(8)));

  // One untimed pass of each loop (instruction cache, branch predictors), then the timed pass.
  copy_loop(map, o4k, ops4k < 10000 ? ops4k : 10000, block, 4096);
  copy8_loop(map, o8h, ops8h < 10000 ? ops8h : 10000, word);

  double t0 = now_ns();
  uint64_t s4k = copy_loop(map, o4k, ops4k, block, 4096);
  double t1 = now_ns();
  uint64_t s8r = copy8_loop(map, o8r, ops8r, word);
  double t2 = now_ns();
  uint64_t s8h = copy8_loop(map, o8h, ops8h, word);
  double t3 = now_ns();
  uint64_t seq = seq_sum(map, size);
  double t4 = now_ns();
  open_cycles(path, 1000, 1);
  double open_close = open_cycles(path, 20000, 0);
  double open_map_close = open_cycles(path, 20000, 1);

  printf("{\"fileSize\":%" PRIu64 ",\"touched\":%" PRIu64 ",\n", size, (uint64_t)touch);
  printf(" \"read4k\":{\"nsPerOp\":%.3f,\"offsetsChecksum\":%" PRIu32 ",\"bytesChecksum\":%" PRIu64 "},\n",
         (t1 - t0) / (double)ops4k, c4k, s4k);
  printf(" \"read8rand\":{\"nsPerOp\":%.3f,\"offsetsChecksum\":%" PRIu32 ",\"bytesChecksum\":%" PRIu64 "},\n",
         (t2 - t1) / (double)ops8r, c8r, s8r);
  printf(" \"read8hot\":{\"nsPerOp\":%.3f,\"offsetsChecksum\":%" PRIu32 ",\"bytesChecksum\":%" PRIu64 "},\n",
         (t3 - t2) / (double)ops8h, c8h, s8h);
  printf(" \"seqSum\":{\"nsPerByte\":%.5f,\"gbPerSecond\":%.3f,\"nsPer4k\":%.3f,\"sum\":%" PRIu64 "},\n",
         (t4 - t3) / (double)size, (double)size / (t4 - t3), (t4 - t3) / (double)size * 4096.0, seq);
  printf(" \"open\":{\"nsOpenClose\":%.1f,\"nsOpenMapClose\":%.1f}}\n", open_close, open_map_close);
  munmap((void *)map, size);
  close(fd);
  free(o4k);
  free(o8r);
  free(o8h);
  return 0;
}
