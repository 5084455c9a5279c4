// What the C reference programs of the benchmarks share (benchmark/toolkit/*.c,
// benchmark/features/count_newlines.c): a monotonic clock, a whole file mapped and populated, and
// work split over pthreads the way mmapkit's scans split it (part 0 on the calling thread).
#ifndef MMAPKIT_BENCH_HARNESS_H
#define MMAPKIT_BENCH_HARNESS_H

#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

// Maps all of `path` read-only, every page of the (warm) page cache in the page table
// (MAP_SHARED | MAP_POPULATE); sets *size and, when `populate_ns` is not NULL, the time the mmap
// call took. Exits with status 1 on an error or an empty file.
static const uint8_t *map_whole_file(const char *path, size_t *size, double *populate_ns) {
  int fd = open(path, O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) {
    perror(path);
    exit(1);
  }
  *size = (size_t)st.st_size;
  double begin = now_ns();
  const uint8_t *data = mmap(NULL, *size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
  if (populate_ns != NULL) *populate_ns = now_ns() - begin;
  if (data == MAP_FAILED) {
    perror("mmap");
    exit(1);
  }
  close(fd); // the mapping keeps the file
  return data;
}

// Runs `work` on each of `threads` parts (`parts` is an array of them, `part_size` bytes each):
// parts 1.. on new pthreads, part 0 on the calling thread, then joins them all. Exits with status
// 1 if a thread cannot be created.
static void run_parts(void *(*work)(void *), void *parts, size_t part_size, int threads) {
  pthread_t ids[MAX_THREADS];
  for (int t = 1; t < threads; t++) {
    if (pthread_create(&ids[t], NULL, work, (char *)parts + (size_t)t * part_size) != 0) {
      perror("pthread_create");
      exit(1);
    }
  }
  work(parts);
  for (int t = 1; t < threads; t++) pthread_join(ids[t], NULL);
}

#endif
