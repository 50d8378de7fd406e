/** CPU and memory samples the page collects, kept for a window of time (the charts' span). */

/** One moment: CPU (percent of one core) and RSS (bytes) per key (a process id, or the instance). */
export interface Sample {
  t: number;
  usage: Record<string, [cpu: number | null, rss: number | null]>;
}

/** uPlot's data layout: times in seconds, then one series per line, null where there is no value. */
export type SeriesData = [number[], ...(number | null)[][]];

export class SampleWindow {
  private samples: Sample[] = [];

  constructor(
    readonly windowMs: number,
    /** Samples closer together than this are merged into the later one. */
    readonly minGapMs = 0,
  ) {}

  add(sample: Sample): void {
    const last = this.samples.at(-1);
    if (last && sample.t < last.t) return;
    if (last && sample.t - last.t < this.minGapMs) this.samples.pop();
    this.samples.push(sample);
    const oldest = sample.t - this.windowMs;
    let drop = 0;
    while (drop < this.samples.length && this.samples[drop].t < oldest) drop++;
    if (drop > 0) this.samples.splice(0, drop);
  }

  get size(): number {
    return this.samples.length;
  }

  /** Times and, for each key, its CPU or RSS (null while the key had no value). */
  series(keys: string[], field: "cpu" | "rss"): SeriesData {
    const index = field === "cpu" ? 0 : 1;
    const times = this.samples.map((s) => s.t / 1000);
    const lines = keys.map((key) => this.samples.map((s) => s.usage[key]?.[index] ?? null));
    return [times, ...lines];
  }

  toJSON(): Sample[] {
    return this.samples;
  }

  /** Samples saved earlier (e.g. before a reload); anything malformed is ignored. */
  restore(saved: unknown): void {
    if (!Array.isArray(saved)) return;
    for (const s of saved) {
      if (s && typeof s.t === "number" && s.usage && typeof s.usage === "object") this.add(s as Sample);
    }
  }
}

/** The key the instance's own totals are stored under. */
export const INSTANCE_KEY = "\u0000instance";
