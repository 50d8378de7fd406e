import type { Api } from "./api.ts";
import { h, setText } from "./dom.ts";
import { inQuery, type LogFilter, LogWindow, logsQuery, matchesText, NO_FILTER } from "./log-window.ts";
import type { LogEntry } from "./types.ts";

export interface LogsViewOptions {
  /** Show one process only (its page): no process filter in the toolbar. */
  processId?: string;
  /** Lines held at most (the view never holds more). */
  max?: number;
  /** Entries read per request, at the start and per older page. */
  pageSize?: number;
}

const SEVERITIES = ["log", "info", "warn", "error"];

/** `datetime-local` input value → ms since the epoch (local time), or undefined when empty. */
function timeOf(input: HTMLInputElement): number | undefined {
  return input.value ? new Date(input.value).getTime() : undefined;
}

/**
 * A log pane: the newest entries from GET /logs, then live ones from the event stream; text
 * search, process and severity filters, a time range, pause/resume, older entries on scroll.
 */
export class LogsView {
  readonly element: HTMLElement;
  private readonly window: LogWindow;
  private readonly pageSize: number;
  private readonly fixedProcess: string | undefined;
  private els: HTMLElement[] = [];
  private filter: LogFilter;
  private paused = false;
  private pending: LogEntry[] = [];
  private pendingOverflow = false;
  private missed = 0;
  private loading = false;
  private generation = 0;
  private readonly list = h("div", {
    class: "log-lines",
    tabindex: 0,
    role: "log",
    "aria-label": "log lines",
  });
  private readonly search = h("input", {
    type: "search",
    placeholder: "search",
    "aria-label": "search the logs",
  });
  readonly processSelect = h(
    "select",
    { "aria-label": "process" },
    h("option", { value: "" }, "all processes"),
  );
  private readonly severity = h(
    "select",
    { "aria-label": "severity" },
    h("option", { value: "" }, "all severities"),
    ...SEVERITIES.map((s) => h("option", { value: s }, s)),
  );
  private readonly from = h("input", { type: "datetime-local", step: 1, "aria-label": "from" });
  private readonly to = h("input", { type: "datetime-local", step: 1, "aria-label": "until" });
  private readonly pause = h("button", { type: "button", class: "pause", "aria-pressed": "false" }, "Pause");
  private readonly older = h("button", { type: "button", class: "older" }, "Load older");
  private readonly newest = h("button", { type: "button", class: "newest", hidden: true }, "Back to newest");
  private readonly info = h("span", { class: "log-info", "aria-live": "polite" });
  private readonly failure = h("p", { class: "error", role: "alert" });

  constructor(
    private readonly api: Api,
    options: LogsViewOptions = {},
  ) {
    this.window = new LogWindow(options.max ?? 2000);
    this.pageSize = options.pageSize ?? 200;
    this.fixedProcess = options.processId;
    this.filter = { ...NO_FILTER, processId: options.processId ?? "" };
    const range = h("span", { class: "range" }, this.from, "–", this.to);
    const tools = h(
      "div",
      { class: "log-tools" },
      this.search,
      options.processId ? undefined : this.processSelect,
      this.severity,
      range,
      this.pause,
      this.info,
    );
    this.element = h(
      "div",
      { class: "logs-view" },
      tools,
      this.failure,
      h("div", { class: "log-edge" }, this.older),
      this.list,
      h("div", { class: "log-edge" }, this.newest),
    );
    this.wire();
  }

  private wire(): void {
    let typing: number | undefined;
    this.search.addEventListener("input", () => {
      clearTimeout(typing);
      typing = window.setTimeout(() => this.applyText(), 120);
    });
    for (const input of [this.processSelect, this.severity, this.from, this.to]) {
      input.addEventListener("change", () => void this.reload());
    }
    this.pause.addEventListener("click", () => this.setPaused(!this.paused));
    this.older.addEventListener("click", () => void this.loadOlder());
    this.newest.addEventListener("click", () => void this.reload());
    this.list.addEventListener("scroll", () => {
      if (this.list.scrollTop < 40) void this.loadOlder();
    });
  }

  /** The newest page for the current filters, replacing what is held. */
  async reload(): Promise<void> {
    const generation = ++this.generation;
    this.filter = {
      ...this.filter,
      processId: this.fixedProcess ?? this.processSelect.value,
      severity: this.severity.value,
      from: timeOf(this.from),
      to: timeOf(this.to),
      text: this.search.value.trim(),
    };
    this.failure.textContent = "";
    try {
      const entries = await this.api.get<LogEntry[]>(`logs?${logsQuery(this.filter, this.pageSize)}`);
      if (generation !== this.generation) return;
      this.window.reset(entries, entries.length < this.pageSize);
      this.pending = [];
      this.pendingOverflow = false;
      this.missed = 0;
      this.els = this.window.entries.map((e) => this.line(e));
      this.list.replaceChildren(...this.els);
      this.list.scrollTop = this.list.scrollHeight;
    } catch (err) {
      this.failure.textContent = `logs: ${(err as Error).message}`;
    }
    this.status();
    await this.fill();
  }

  /**
   * While the lines shown do not fill the view (a search or filter matched few), read older pages:
   * with nothing to scroll, scrolling up could not ask for them.
   */
  private async fill(): Promise<void> {
    const generation = this.generation;
    while (
      generation === this.generation &&
      !this.window.reachedStart &&
      this.window.entries.length + this.pageSize <= this.window.max &&
      this.list.isConnected &&
      this.list.scrollHeight <= this.list.clientHeight
    ) {
      if (!(await this.loadOlder())) break;
    }
  }

  /** A live entry from the event stream. */
  add(entry: LogEntry): void {
    if (!inQuery(entry, this.filter)) return;
    if (!this.window.atLiveEdge) {
      this.missed++;
    } else if (this.paused) {
      if (this.pending.length < this.window.max) this.pending.push(entry);
      else this.pendingOverflow = true;
    } else {
      this.appendLive([entry]);
    }
    this.status();
  }

  private appendLive(entries: LogEntry[]): void {
    const follow = this.list.scrollTop + this.list.clientHeight >= this.list.scrollHeight - 24;
    for (const entry of entries) {
      const dropped = this.window.append(entry);
      const el = this.line(entry);
      this.els.push(el);
      this.list.append(el);
      for (const old of this.els.splice(0, dropped)) old.remove();
    }
    if (follow) this.list.scrollTop = this.list.scrollHeight;
  }

  private setPaused(paused: boolean): void {
    this.paused = paused;
    this.pause.textContent = paused ? "Resume" : "Pause";
    this.pause.setAttribute("aria-pressed", String(paused));
    if (!paused) {
      if (this.pendingOverflow) void this.reload();
      else this.appendLive(this.pending);
      this.pending = [];
      this.pendingOverflow = false;
    }
    this.status();
  }

  /** The page of entries before the oldest held one (by time), kept at the top; false if none came. */
  async loadOlder(): Promise<boolean> {
    if (this.loading || this.window.reachedStart) return false;
    const query = this.window.olderQuery(this.filter, this.pageSize);
    if (!query) return false;
    this.loading = true;
    const generation = this.generation;
    try {
      const page = await this.api.get<LogEntry[]>(`logs?${query}`);
      if (generation !== this.generation) return false;
      const before = this.list.scrollHeight;
      const { added } = this.window.prepend(page, this.pageSize);
      const els = page.slice(0, added).map((e) => this.line(e));
      this.list.prepend(...els);
      // What the window dropped from its end to stay within its bound goes from the view too.
      this.els = els.concat(this.els);
      for (const gone of this.els.splice(this.window.entries.length)) gone.remove();
      this.list.scrollTop += this.list.scrollHeight - before;
      return added > 0;
    } catch (err) {
      this.failure.textContent = `older logs: ${(err as Error).message}`;
      return false;
    } finally {
      this.loading = false;
      this.status();
    }
  }

  private applyText(): void {
    this.filter = { ...this.filter, text: this.search.value.trim() };
    this.els.forEach((el, i) => {
      el.hidden = !matchesText(this.window.entries[i], this.filter.text);
    });
    this.list.scrollTop = this.list.scrollHeight;
    this.status();
    void this.fill();
  }

  private line(entry: LogEntry): HTMLElement {
    const stderr = entry.category === "stderr";
    const el = h(
      "div",
      {
        class: `line sev-${entry.severity}${stderr ? " stderr" : ""}${entry.processId === "core" ? " core" : ""}`,
      },
      h(
        "time",
        { datetime: new Date(entry.timeStamp).toISOString() },
        new Date(entry.timeStamp).toLocaleTimeString([], { hour12: false }),
      ),
      h("span", { class: "origin" }, `${entry.processId}:${entry.category}`),
      stderr ? h("span", { class: "tag", title: "written to stderr" }, "stderr") : undefined,
      h("span", { class: "text" }, entry.text),
    );
    el.hidden = !matchesText(entry, this.filter.text);
    return el;
  }

  private status(): void {
    const shown = this.els.reduce((n, el) => n + (el.hidden ? 0 : 1), 0);
    const parts = [`${this.window.entries.length} lines`];
    if (this.filter.text) parts.push(`${shown} match`);
    if (this.paused) parts.push(`paused, ${this.pending.length}${this.pendingOverflow ? "+" : ""} new`);
    if (this.missed) parts.push(`${this.missed} newer not shown`);
    setText(this.info, parts.join(" · "));
    this.older.hidden = this.window.reachedStart;
    this.newest.hidden = this.window.atLiveEdge;
    this.list.dataset.held = String(this.window.entries.length);
  }

  /** The choices of the process filter: "core" and every process that is not a cluster entry. */
  setProcesses(ids: string[]): void {
    const chosen = this.processSelect.value;
    const wanted = ["", "core", ...ids];
    const have = [...this.processSelect.options].map((o) => o.value);
    if (wanted.join("\n") === have.join("\n")) return;
    this.processSelect.replaceChildren(
      h("option", { value: "" }, "all processes"),
      ...wanted.slice(1).map((id) => h("option", { value: id }, id)),
    );
    this.processSelect.value = wanted.includes(chosen) ? chosen : "";
  }
}
