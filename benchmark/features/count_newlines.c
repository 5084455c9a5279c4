// The hardware reference for the line count of `npm run bench:features` (issue 5): '\n' bytes of a
// mapped file counted in plain C, split across N pthreads, with no JavaScript or Node-API in the way.
// features.mjs compiles it with `gcc -O3 -march=native -pthread` into the temp dir and runs it once
// per round.
//
//   count_newlines <file> <reps> <threads>...        e.g. count_newlines log.txt 3 2 1
//
// It maps the whole file read-only (MAP_SHARED | MAP_POPULATE, so every page of the warm page cache
// is in the page table before any timing, like mmapkit's long-lived, touched mapping) and counts it
// once untimed per thread count. Then, <reps> times, for each thread count in turn: split the file
// into that many contiguous parts, count the first part on the calling thread and the others on new
// pthreads (the way mmapkit's scan splits its work), join, and take the time from before the first
// pthread_create to after the last join. The count loop is AVX2 (32-byte compares summed in byte
// lanes, folded with vpsadbw every 255 iterations); without AVX2, a plain loop that -O3 vectorises.
// Output: one JSON object on stdout, times in ns, with the best and the median of the <reps> runs.
#include "../c/harness.h"
#ifdef __AVX2__
#include <immintrin.h>
#endif

#define MAX_COUNTS 16
#define MAX_REPS 100

static uint64_t count_scalar(const uint8_t *p, size_t n) {
  uint64_t total = 0;
  for (size_t i = 0; i < n; i++) total += p[i] == '\n';
  return total;
}

static uint64_t count_newlines(const uint8_t *p, size_t n) {
#ifdef __AVX2__
  const __m256i newline = _mm256_set1_epi8('\n');
  const __m256i zero = _mm256_setzero_si256();
  __m256i totals = zero; // four 64-bit lane sums
  size_t i = 0;
  while (n - i >= 128) {
    size_t iterations = (n - i) / 128;
    if (iterations > 255) iterations = 255; // each byte lane of an accumulator gains at most 1 per iteration
    __m256i a0 = zero, a1 = zero, a2 = zero, a3 = zero;
    for (size_t k = 0; k < iterations; k++, i += 128) {
      // cmpeq gives 0xFF (-1) per matching byte: subtracting it adds 1.
      a0 = _mm256_sub_epi8(a0, _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i)), newline));
      a1 = _mm256_sub_epi8(a1, _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i + 32)), newline));
      a2 = _mm256_sub_epi8(a2, _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i + 64)), newline));
      a3 = _mm256_sub_epi8(a3, _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i + 96)), newline));
    }
    totals = _mm256_add_epi64(totals, _mm256_sad_epu8(a0, zero));
    totals = _mm256_add_epi64(totals, _mm256_sad_epu8(a1, zero));
    totals = _mm256_add_epi64(totals, _mm256_sad_epu8(a2, zero));
    totals = _mm256_add_epi64(totals, _mm256_sad_epu8(a3, zero));
  }
  uint64_t lanes[4];
  _mm256_storeu_si256((__m256i *)lanes, totals);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3] + count_scalar(p + i, n - i);
#else
  return count_scalar(p, n);
#endif
}

struct part {
  const uint8_t *start;
  size_t length;
  uint64_t count;
};

static void *count_part(void *arg) {
  struct part *part = arg;
  part->count = count_newlines(part->start, part->length);
  return NULL;
}

// Counts with `threads` threads (the first part on this one); returns the count, sets *ns.
static uint64_t run(const uint8_t *data, size_t size, int threads, double *ns) {
  struct part parts[MAX_THREADS];
  size_t per = (size + (size_t)threads - 1) / (size_t)threads;
  for (int t = 0; t < threads; t++) {
    size_t start = per * (size_t)t < size ? per * (size_t)t : size;
    size_t end = start + per < size ? start + per : size;
    parts[t] = (struct part){data + start, end - start, 0};
  }
  double begin = now_ns();
  run_parts(count_part, parts, sizeof parts[0], threads);
  *ns = now_ns() - begin;
  uint64_t total = 0;
  for (int t = 0; t < threads; t++) total += parts[t].count;
  return total;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s <file> <reps> <threads>...\n", argv[0]);
    return 2;
  }
  int reps = atoi(argv[2]);
  int counts = argc - 3;
  if (reps < 1 || reps > MAX_REPS || counts > MAX_COUNTS) {
    fprintf(stderr, "reps must be 1..%d, at most %d thread counts\n", MAX_REPS, MAX_COUNTS);
    return 2;
  }
  int threads[MAX_COUNTS];
  for (int c = 0; c < counts; c++) {
    threads[c] = atoi(argv[3 + c]);
    if (threads[c] < 1 || threads[c] > MAX_THREADS) {
      fprintf(stderr, "threads must be 1..%d\n", MAX_THREADS);
      return 2;
    }
  }

  size_t size;
  double populate_ns;
  const uint8_t *data = map_whole_file(argv[1], &size, &populate_ns);

  uint64_t lines[MAX_COUNTS];
  double times[MAX_COUNTS][MAX_REPS];
  double untimed;
  for (int c = 0; c < counts; c++) lines[c] = run(data, size, threads[c], &untimed);
  for (int r = 0; r < reps; r++) {
    for (int c = 0; c < counts; c++) {
      if (run(data, size, threads[c], &times[c][r]) != lines[c]) {
        fprintf(stderr, "the count changed between runs\n");
        return 1;
      }
    }
  }

  printf("{\"bytes\":%zu,\"populateNs\":%.0f,\"avx2\":%s,\"runs\":[", size, populate_ns,
#ifdef __AVX2__
         "true"
#else
         "false"
#endif
  );
  for (int c = 0; c < counts; c++) {
    double sorted[MAX_REPS];
    memcpy(sorted, times[c], sizeof(double) * (size_t)reps);
    qsort(sorted, (size_t)reps, sizeof(double), compare_doubles);
    double median = reps % 2 ? sorted[reps / 2] : (sorted[reps / 2 - 1] + sorted[reps / 2]) / 2;
    printf("%s{\"threads\":%d,\"lines\":%" PRIu64 ",\"bestNs\":%.0f,\"medianNs\":%.0f,\"ns\":[", c ? "," : "",
           threads[c], lines[c], sorted[0], median);
    for (int r = 0; r < reps; r++) printf("%s%.0f", r ? "," : "", times[c][r]);
    printf("]}");
  }
  printf("]}\n");
  munmap((void *)data, size);
  return 0;
}
