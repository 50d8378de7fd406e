import type { Api } from "./api.ts";
import { UsageChart } from "./charts.ts";
import { h, setText } from "./dom.ts";
import { isProcessEvent, mergeEvents } from "./events.ts";
import { clock, stateName } from "./format.ts";
import { LogsView } from "./logs-view.ts";
import { rowActions, statusFields, statusNote } from "./status-text.ts";
import type { LogEntry, ProcessEntry, ProcessStatus } from "./types.ts";

const MAX_EVENTS = 100;

/** One process: its status, charts, recent events, configuration and logs. */
export class ProcessPage {
  readonly element: HTMLElement;
  readonly logs: LogsView;
  readonly cpu: UsageChart;
  readonly memory: UsageChart;
  private events: LogEntry[] = [];
  private readonly title = h("span", { class: "state" });
  private readonly note = h("span", { class: "note" });
  private readonly fields = h("dl", { class: "fields" });
  private readonly eventList = h("ol", { class: "events", "aria-label": "recent events" });
  private readonly config = h("pre", { class: "config" });
  private readonly actions = h("div", { class: "actions" });
  private readonly failure = h("p", { class: "error", role: "alert" });

  constructor(
    private readonly api: Api,
    readonly id: string,
    private readonly canControl: boolean,
  ) {
    this.logs = new LogsView(api, { processId: id, max: 1000 });
    this.cpu = new UsageChart("CPU", "cpu", [{ label: id, color: "--chart-1" }]);
    this.memory = new UsageChart("memory", "rss", [{ label: id, color: "--chart-2" }]);
    this.element = h(
      "article",
      { class: "process-page", "data-process": id },
      h(
        "div",
        { class: "bar" },
        h("a", { href: "#/", class: "back" }, "← all processes"),
        h("h2", {}, id),
        this.title,
        this.note,
        this.actions,
      ),
      this.failure,
      h(
        "div",
        { class: "columns" },
        h("section", {}, h("h3", {}, "Status"), this.fields),
        h(
          "section",
          {},
          h("h3", {}, "Usage, last 15 minutes"),
          h("div", { class: "chart-pair" }, this.cpu.element, this.memory.element),
        ),
      ),
      h(
        "div",
        { class: "columns" },
        h("section", {}, h("h3", {}, "Recent events"), this.eventList),
        h("section", {}, h("h3", {}, "Configuration"), this.config),
      ),
      h("section", {}, h("h3", {}, "Logs"), this.logs.element),
    );
  }

  /** Read the configuration and the recent events, then the logs. */
  async load(): Promise<void> {
    try {
      const [entry, log] = await Promise.all([
        this.api.get<ProcessEntry>(`processes/${encodeURIComponent(this.id)}`),
        this.api.get<LogEntry[]>(`logs?${new URLSearchParams({ processId: this.id, nRows: "2000" })}`),
      ]);
      this.config.textContent = JSON.stringify(entry.config, null, 2);
      this.events = mergeEvents(
        this.events,
        log.filter((e) => isProcessEvent(e, this.id)),
        MAX_EVENTS,
      );
      this.renderEvents();
    } catch (err) {
      this.failure.textContent = `${this.id}: ${(err as Error).message}`;
    }
    await this.logs.reload();
  }

  update(status: ProcessStatus | undefined, now: number, nextRun: string | undefined): void {
    if (!status) {
      setText(this.title, "no longer configured");
      return;
    }
    const name = stateName(status.status);
    setText(this.title, name);
    this.title.className = `state s-${name}`;
    setText(this.note, statusNote(status, nextRun, now));
    const fields = statusFields(status, now);
    if (this.fields.childElementCount !== fields.length * 2) {
      this.fields.replaceChildren(...fields.flatMap(([k]) => [h("dt", {}, k), h("dd", { "data-field": k })]));
    }
    fields.forEach(([k, text], i) => {
      setText(this.fields.children[i * 2], k);
      setText(this.fields.children[i * 2 + 1], text);
    });
    if (this.canControl) this.renderActions(status);
  }

  private renderActions(status: ProcessStatus): void {
    const actions = rowActions(status);
    if (this.actions.childElementCount === 0) {
      this.actions.append(...actions.map(() => h("button", { type: "button", class: "action" })));
    }
    actions.forEach((action, i) => {
      const button = this.actions.children[i] as HTMLButtonElement;
      setText(button, action);
      button.dataset.action = action;
      button.dataset.id = status.id;
    });
  }

  /** A live log entry: its logs, and its events when the instance speaks about it. */
  addLog(entry: LogEntry): void {
    if (entry.processId !== this.id) return;
    this.logs.add(entry);
    if (isProcessEvent(entry, this.id)) this.addEvent(entry);
  }

  addEvent(entry: LogEntry): void {
    this.events = mergeEvents(this.events, [entry], MAX_EVENTS);
    this.renderEvents();
  }

  private renderEvents(): void {
    const now = Date.now();
    this.eventList.replaceChildren(
      ...this.events
        .slice()
        .reverse()
        .map((e) =>
          h(
            "li",
            { class: `sev-${e.severity} cat-${e.category}` },
            h("time", { datetime: new Date(e.timeStamp).toISOString() }, clock(e.timeStamp, now)),
            h("span", { class: "origin" }, e.category),
            h("span", { class: "text" }, e.text),
          ),
        ),
    );
    if (this.events.length === 0) this.eventList.append(h("li", { class: "none" }, "nothing recorded yet"));
  }

  destroy(): void {
    this.cpu.destroy();
    this.memory.destroy();
    this.element.remove();
  }
}
