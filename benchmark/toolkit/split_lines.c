// The C reference for lines() and splitRanges() in `npm run bench:toolkit` (issue 12): a mapped
// file split into lines with a memchr loop, counting them and summing their lengths (what the JS
// cases compute), on N pthreads, no JavaScript or Node-API in the way: the hardware's speed for the
// job, and the speedup 2 threads give it. toolkit.mjs compiles it with `gcc -O2 -pthread` into its
// temp dir and runs it once per round.
//
//   split_lines <file> <threads>        e.g. split_lines log.txt 2
//
// It maps the whole file read-only (MAP_SHARED | MAP_POPULATE, like the benchmark's touched
// mapping), splits once untimed, then times one split: the file cut into <threads> parts just after
// the first '\n' at or after each even cut (as splitRanges does), the first part on the calling
// thread and the others on new pthreads, from before the first pthread_create to after the last
// join. A last line without '\n' counts too, as lines() yields it.
// Output: one JSON object on stdout: { "lines": N, "bytes": B, "ns": T } (bytes: the sum of the
// line lengths, delimiters excluded).
#include "../c/harness.h"


struct part {
  const char *start;
  size_t length;
  uint64_t lines, bytes;
};

static void *split_part(void *arg) {
  struct part *p = arg;
  const char *at = p->start, *end = p->start + p->length;
  uint64_t lines = 0, bytes = 0;
  while (at < end) {
    const char *newline = memchr(at, '\n', (size_t)(end - at));
    const char *stop = newline ? newline : end;
    lines++;
    bytes += (uint64_t)(stop - at);
    at = newline ? newline + 1 : end;
  }
  p->lines = lines;
  p->bytes = bytes;
  return NULL;
}

static void run(const char *data, size_t size, int threads, struct part *total, double *ns) {
  struct part parts[MAX_THREADS];
  size_t cuts[MAX_THREADS + 1];
  cuts[0] = 0;
  for (int t = 1; t < threads; t++) {
    size_t cut = size / (size_t)threads * (size_t)t;
    if (cut < cuts[t - 1]) cut = cuts[t - 1];
    const char *newline = cut < size ? memchr(data + cut, '\n', size - cut) : NULL;
    cuts[t] = newline ? (size_t)(newline - data) + 1 : size;
  }
  cuts[threads] = size;
  for (int t = 0; t < threads; t++) parts[t] = (struct part){data + cuts[t], cuts[t + 1] - cuts[t], 0, 0};
  double begin = now_ns();
  run_parts(split_part, parts, sizeof parts[0], threads);
  *ns = now_ns() - begin;
  *total = (struct part){data, size, 0, 0};
  for (int t = 0; t < threads; t++) {
    total->lines += parts[t].lines;
    total->bytes += parts[t].bytes;
  }
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s <file> <threads>\n", argv[0]);
    return 2;
  }
  int threads = atoi(argv[2]);
  if (threads < 1 || threads > MAX_THREADS) {
    fprintf(stderr, "threads must be 1..%d\n", MAX_THREADS);
    return 2;
  }
  size_t size;
  const char *data = (const char *)map_whole_file(argv[1], &size, NULL);
  struct part warm, total;
  double ns;
  run(data, size, threads, &warm, &ns);
  run(data, size, threads, &total, &ns);
  if (total.lines != warm.lines || total.bytes != warm.bytes) {
    fprintf(stderr, "the two splits differ\n");
    return 1;
  }
  printf("{\"lines\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"ns\":%.0f}\n", total.lines, total.bytes, ns);
  munmap((void *)data, size);
  return 0;
}
