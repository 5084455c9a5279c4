// The C reference for count() in `npm run bench:toolkit` (issue 12): the non-overlapping matches of
// a pattern in a mapped file, counted with glibc memmem on N pthreads, no JavaScript or Node-API in
// the way. toolkit.mjs compiles it with `gcc -O2 -pthread` into its temp dir and runs it once per
// round.
//
//   memmem_count <file> <pattern> <threads>        e.g. memmem_count log.txt disk-full 2
//
// It maps the whole file read-only (MAP_SHARED | MAP_POPULATE: every page of the warm page cache is
// in the page table before timing, like the benchmark's touched mapping), counts once untimed, then
// times one count: the file split into <threads> contiguous parts, the first on the calling thread
// and the others on new pthreads (as mmapkit's scan does), from before the first pthread_create to
// after the last join. Each part counts the matches that start in it, greedy from the left (reading
// up to pattern length - 1 bytes past its end); a match straddling a split point is handled as
// mmapkit does (the next part is re-scanned from that match's end), so the count is exact.
// Output: one JSON object on stdout: { "count": N, "ns": T }.
#include "../c/harness.h"


struct part {
  const char *data;
  size_t size;
  const char *pattern;
  size_t needle;
  size_t start, end; // match starts in [start, end)
  uint64_t count;
  size_t first;    // first match, or SIZE_MAX
  size_t last_end; // end of the last match, or start
};

static void *count_part(void *arg) {
  struct part *p = arg;
  p->count = 0;
  p->first = SIZE_MAX;
  p->last_end = p->start;
  size_t pos = p->start;
  while (pos < p->end && pos + p->needle <= p->size) {
    size_t window_end = p->end + p->needle - 1;
    if (window_end > p->size) window_end = p->size;
    const char *hit = memmem(p->data + pos, window_end - pos, p->pattern, p->needle);
    if (hit == NULL) break;
    size_t at = (size_t)(hit - p->data);
    p->count++;
    if (p->first == SIZE_MAX) p->first = at;
    p->last_end = at + p->needle;
    pos = at + p->needle;
  }
  return NULL;
}

static uint64_t run(const char *data, size_t size, const char *pattern, int threads, double *ns) {
  struct part parts[MAX_THREADS];
  size_t needle = strlen(pattern);
  size_t per = (size + (size_t)threads - 1) / (size_t)threads;
  for (int t = 0; t < threads; t++) {
    size_t start = per * (size_t)t < size ? per * (size_t)t : size;
    size_t end = start + per < size ? start + per : size;
    parts[t] = (struct part){data, size, pattern, needle, start, end, 0, SIZE_MAX, start};
  }
  double begin = now_ns();
  run_parts(count_part, parts, sizeof parts[0], threads);
  uint64_t total = 0;
  size_t next_allowed = 0;
  for (int t = 0; t < threads; t++) {
    if (parts[t].first != SIZE_MAX && parts[t].first < next_allowed) {
      // A match of the previous part straddles into this one: redo this part from its end.
      parts[t].start = next_allowed < parts[t].end ? next_allowed : parts[t].end;
      count_part(&parts[t]);
    }
    total += parts[t].count;
    if (parts[t].count > 0) next_allowed = parts[t].last_end;
  }
  *ns = now_ns() - begin;
  return total;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s <file> <pattern> <threads>\n", argv[0]);
    return 2;
  }
  int threads = atoi(argv[3]);
  if (threads < 1 || threads > MAX_THREADS || argv[2][0] == '\0') {
    fprintf(stderr, "threads must be 1..%d and the pattern not empty\n", MAX_THREADS);
    return 2;
  }
  size_t size;
  const char *data = (const char *)map_whole_file(argv[1], &size, NULL);
  double ns;
  uint64_t warm = run(data, size, argv[2], threads, &ns);
  uint64_t count = run(data, size, argv[2], threads, &ns);
  if (count != warm) {
    fprintf(stderr, "counts differ: %" PRIu64 " then %" PRIu64 "\n", warm, count);
    return 1;
  }
  printf("{\"count\":%" PRIu64 ",\"ns\":%.0f}\n", count, ns);
  munmap((void *)data, size);
  return 0;
}
