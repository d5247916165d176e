/** Latency samples in milliseconds, kept whole: a bench run makes at most a few hundred thousand requests. */
export class Recorder {
  private samples: number[] = [];
  count = 0;
  byStatus: Record<string, number> = {};

  add(ms: number, status: number): void {
    this.samples.push(ms);
    this.count++;
    this.byStatus[status] = (this.byStatus[status] ?? 0) + 1;
  }

  summary(): LatencySummary {
    return summarize(this.samples, this.byStatus);
  }
}

export interface LatencySummary {
  count: number;
  byStatus: Record<string, number>;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  meanMs: number | null;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? null;
}

const round = (v: number | null, digits = 2) => (v === null ? null : Number(v.toFixed(digits)));

export function summarize(samples: readonly number[], byStatus: Record<string, number> = {}): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  const values = Array.from(sorted);
  const sum = values.reduce((a, b) => a + b, 0);
  return {
    count: values.length,
    byStatus,
    p50Ms: round(percentile(values, 50)),
    p95Ms: round(percentile(values, 95)),
    p99Ms: round(percentile(values, 99)),
    maxMs: round(values.length ? (values[values.length - 1] ?? null) : null),
    meanMs: round(values.length ? sum / values.length : null),
  };
}

export function median(values: readonly number[]): number | null {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? (v[mid] ?? null) : ((v[mid - 1] ?? 0) + (v[mid] ?? 0)) / 2;
}
