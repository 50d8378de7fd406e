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

function axisValues(kind: "cpu" | "rss") {
  return (_u: uPlot, ticks: number[]) => ticks.map((v) => (kind === "cpu" ? `${v}%` : bytes(v)));
}

/**
 * One time-series chart (uPlot) of CPU or memory. Its element carries `data-points`: how many
 * values it drew, so a test (or a curious user) can tell an empty chart from a drawn one.
 */
export class UsageChart {
  readonly element: HTMLElement;
  private plot: uPlot | undefined;
  private data: SeriesData = [[]];
  private readonly resize = new ResizeObserver(() => this.fit());

  constructor(
    readonly title: string,
    readonly kind: "cpu" | "rss",
    readonly lines: ChartLine[],
  ) {
    this.element = document.createElement("figure");
    this.element.className = "chart";
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
        title: this.title,
        width,
        height: HEIGHT,
        scales: {
          y: { range: (_u, _min, max) => [0, Math.max(max, this.kind === "cpu" ? 5 : 1024 * 1024)] },
        },
        series: [
          {},
          ...this.lines.map((line) => ({
            label: line.label,
            stroke: cssVar(line.color),
            width: 1.5,
            spanGaps: false,
            value: (_u: uPlot, v: number | null) =>
              v === null ? "–" : this.kind === "cpu" ? `${v.toFixed(1)}%` : bytes(v),
          })),
        ],
        axes: [axis, { ...axis, size: 70, values: axisValues(this.kind) }],
        legend: { live: true },
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
