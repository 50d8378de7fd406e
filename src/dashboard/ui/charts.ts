import uPlot from "uplot";
import { bytes } from "./format.ts";
import type { SeriesData } from "./samples.ts";

export interface ChartLine {
  label: string;
  /** A CSS custom property of style.css, e.g. "--chart-1", so both themes colour it. */
  color: string;
}

const HEIGHT = 140;

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

/** Axis labels: short, so they fit the axis's width. */
function axisValues(kind: "cpu" | "rss") {
  return (_u: uPlot, ticks: number[]) => ticks.map((v) => (kind === "cpu" ? `${v}%` : shortBytes(v)));
}

function shortBytes(n: number): string {
  const units = ["B", "K", "M", "G", "T"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n >= 10 || i === 0 ? Math.round(n) : n.toFixed(1)}${units[i]}`;
}

/** Time labels: hours and minutes, with seconds while the span is short. */
function timeValues(u: uPlot, ticks: number[]): string[] {
  const span = (u.scales.x.max ?? 0) - (u.scales.x.min ?? 0);
  const options: Intl.DateTimeFormatOptions = { hour: "2-digit", minute: "2-digit", hour12: false };
  if (span < 600) options.second = "2-digit";
  return ticks.map((t) => new Date(t * 1000).toLocaleTimeString([], options));
}

/** The x axis spans the samples, and at least the last minute, up to now. */
const MIN_SPAN_S = 60;
function timeRange(_u: uPlot, min: number, max: number): [number, number] {
  const now = Date.now() / 1000;
  const end = Math.max(now, max || now);
  return [Math.min(min || end, end - MIN_SPAN_S), end];
}

/**
 * One time-series chart (uPlot) of CPU or memory. Its element carries `data-points`: how many
 * values it drew, so a test (or a curious user) can tell an empty chart from a drawn one.
 */
export class UsageChart {
  readonly element: HTMLElement;
  private plot: uPlot | undefined;
  private data: SeriesData = [[]];
  private readonly latest = document.createElement("span");
  private readonly resize = new ResizeObserver(() => this.fit());

  constructor(
    readonly title: string,
    readonly kind: "cpu" | "rss",
    readonly lines: ChartLine[],
  ) {
    this.element = document.createElement("figure");
    this.element.className = "chart";
    this.latest.className = "latest";
    const caption = document.createElement("figcaption");
    caption.append(title, " ", this.latest);
    this.element.append(caption);
    this.element.dataset.kind = kind;
    this.element.dataset.points = "0";
    this.resize.observe(this.element);
  }

  private create(width: number): void {
    const grid = cssVar("--line");
    const text = cssVar("--dim");
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    this.plot = new uPlot(
      {
        width,
        height: HEIGHT,
        scales: {
          x: { time: true, range: timeRange },
          y: { range: (_u, _min, max) => [0, Math.max(max, this.kind === "cpu" ? 5 : 1024 * 1024)] },
        },
        series: [
          {
            label: "time",
            value: (_u: uPlot, v: number | null) =>
              v === null ? "–" : new Date(v * 1000).toLocaleTimeString(),
          },
          ...this.lines.map((line) => ({
            label: line.label,
            stroke: cssVar(line.color),
            width: 1.5,
            spanGaps: false,
            points: { show: false },
            value: (_u: uPlot, v: number | null) =>
              v === null ? "–" : this.kind === "cpu" ? `${v.toFixed(1)}%` : bytes(v),
          })),
        ],
        axes: [
          // Labels with seconds are wide: keep ticks far enough apart for them.
          { ...axis, values: timeValues, space: 80 },
          { ...axis, size: 50, values: axisValues(this.kind) },
        ],
        // One line needs no key: its latest value stands beside the title.
        legend: { show: this.lines.length > 1, live: true },
      },
      this.data as uPlot.AlignedData,
      this.element,
    );
  }

  private fit(): void {
    const width = Math.floor(this.element.clientWidth);
    if (width <= 0) return;
    if (!this.plot) this.create(width);
    else if (Math.abs(this.plot.width - width) > 1) this.plot.setSize({ width, height: HEIGHT });
  }

  setData(data: SeriesData): void {
    this.data = data;
    let points = 0;
    for (const line of data.slice(1)) for (const v of line) if (v !== null) points++;
    this.element.dataset.points = String(points);
    const last = data[1]?.findLast((v) => v !== null);
    this.latest.textContent =
      last === undefined || last === null ? "" : this.kind === "cpu" ? `${last.toFixed(1)}%` : bytes(last);
    this.plot?.setData(data as uPlot.AlignedData);
  }

  /** Colours follow the theme: rebuild after the system switches between light and dark. */
  restyle(): void {
    const width = this.plot?.width;
    this.plot?.destroy();
    this.plot = undefined;
    if (width) this.create(width);
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot?.destroy();
    this.element.remove();
  }
}
