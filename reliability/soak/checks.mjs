// Pure arithmetic of the soak's pass/fail checks: no I/O, so the numbers in the summary are
// exactly the ones the verdict was computed from.

/**
 * The most a token bucket can grant between `firstAt` and `lastAt` (ms), across any number of
 * processes sharing it: the full bucket, the refill over the elapsed time, and one token of
 * slack for the refill that lands between the last measurement and the last take.
 */
export function bucketBound({ capacity, refillPerSecond }, firstAt, lastAt) {
  return capacity + (refillPerSecond * Math.max(0, lastAt - firstAt)) / 1000 + 1;
}

/**
 * How much resident memory grew after warm-up, as a fraction: the highest sample of the last
 * `windowS` seconds against the highest sample up to the `warmupS` mark. High-water marks,
 * because RSS moves in steps (V8 commits heap pages as a collection cycle fills the heap and
 * returns some after a major GC), so a single sample depends on where in its ~20 s GC cycle it
 * fell; a leak shows as high-water marks that keep rising. `samples` are `{ t, rss }` with `t` in
 * seconds since the load started.
 */
export function rssGrowth(samples, warmupS, windowS = 5) {
  const end = Math.max(...samples.map((s) => s.t));
  const warmup = samples.filter((s) => s.t <= warmupS);
  const last = samples.filter((s) => s.t >= end - windowS && s.t > warmupS);
  if (warmup.length === 0 || last.length === 0) return undefined;
  const before = Math.max(...warmup.map((s) => s.rss));
  const after = Math.max(...last.map((s) => s.rss));
  return { before, after, growth: (after - before) / before };
}

/**
 * The lowest heap use in each whole `bucketS`-second slice (a slice spans about one major GC
 * cycle at soak load): the heap right after a major collection, i.e. what is really retained.
 * Rising troughs mean a leak; flat ones mean garbage, not growth.
 */
export function heapTroughs(samples, bucketS = 20) {
  const end = Math.max(...samples.map((s) => s.t));
  const troughs = new Map();
  for (const { t, heapUsed } of samples) {
    if (Math.floor(t / bucketS) * bucketS + bucketS > end + 1) continue;
    const slice = Math.floor(t / bucketS) * bucketS;
    troughs.set(slice, Math.min(troughs.get(slice) ?? Number.POSITIVE_INFINITY, heapUsed));
  }
  return [...troughs.entries()].map(([fromS, heapUsed]) => ({ fromS, heapUsed }));
}
