import "uplot/dist/uPlot.min.css";
import "./style.css";
import { Api } from "./api.ts";
import { ApiError, actionMessage } from "./api-error.ts";
import { UsageChart } from "./charts.ts";
import { byId, h, setText } from "./dom.ts";
import { healthEvent } from "./events.ts";
import { ACTIVE_STATES, bytes, duration, percent } from "./format.ts";
import { LogsView } from "./logs-view.ts";
import { ProcessPage } from "./process-page.ts";
import { ProcessTable } from "./process-table.ts";
import { INSTANCE_KEY, type Sample, SampleWindow } from "./samples.ts";
import { nextCronRun } from "./schedule.ts";
import { withConnections } from "./status-text.ts";
import { EventStreamClient } from "./stream.ts";
import { allows, type Identity, identityOf } from "./token.ts";
import type { InstanceState, LogEntry, ProcessEntry, ProcessStatus, StreamMessage } from "./types.ts";

/** The charts' span; samples arrive once a second with the instance's state. */
const WINDOW_MS = 15 * 60_000;
const PUP_KEY = "\u0000pup";

/** The token from the address (`#token=…`, then taken out of it) or from an earlier visit. */
function takeToken(): string {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromHash) {
    history.replaceState(null, "", location.pathname + location.search);
    return fromHash;
  }
  return localStorage.getItem("pup-token") ?? "";
}

function showLogin(reason: string): void {
  byId("login").hidden = false;
  byId("app").hidden = true;
  byId("identity").hidden = true;
  byId("login-error").textContent = reason;
}

class Dashboard {
  readonly identity: Identity | undefined;
  readonly canControl: boolean;
  private entries: ProcessEntry[] = [];
  private readonly samples = new SampleWindow(WINDOW_MS, 900);
  private readonly scheduled = new Map<string, string>();
  private readonly table: ProcessTable;
  private readonly logs: LogsView;
  private readonly instanceCpu = new UsageChart("CPU, all processes", "cpu", [
    { label: "processes", color: "--chart-1" },
  ]);
  private readonly instanceMemory = new UsageChart("memory", "rss", [
    { label: "processes", color: "--chart-2" },
    { label: "pup", color: "--chart-3" },
  ]);
  private readonly rowCharts = new Map<string, UsageChart[]>();
  private page: ProcessPage | undefined;
  private stream: EventStreamClient | undefined;
  private samplesKey = "";

  constructor(readonly api: Api) {
    this.identity = identityOf(api.token);
    this.canControl = allows(this.identity, "control");
    this.table = new ProcessTable(this.canControl, (id, cell) => this.rowChartsToggled(id, cell));
    this.logs = new LogsView(api);
    byId("processes").replaceChildren(this.table.element);
    byId("logs").replaceChildren(this.logs.element);
    byId("instance-charts").replaceChildren(this.instanceCpu.element, this.instanceMemory.element);
  }

  /** Load everything, then follow the event stream. Returns false when the token is refused. */
  async start(): Promise<boolean> {
    let state: InstanceState;
    try {
      [this.entries, state] = await Promise.all([
        this.api.get<ProcessEntry[]>("processes"),
        this.api.get<InstanceState>("state"),
      ]);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
        showLogin(`The token was refused: ${err.message}`);
        return false;
      }
      throw err;
    }
    localStorage.setItem("pup-token", this.api.token);
    byId("login").hidden = true;
    byId("app").hidden = false;
    this.showIdentity();
    this.restoreSamples(state);
    this.applyState(state);
    this.route();
    await this.logs.reload();
    this.follow();
    return true;
  }

  private showIdentity(): void {
    byId("identity").hidden = false;
    setText(byId("consumer"), this.identity?.consumer ?? "unknown consumer");
    const scopes = this.identity?.scopes ?? ["all scopes"];
    byId("scopes").replaceChildren(...scopes.map((s) => h("span", { class: "scope" }, s)));
    if (!this.canControl) byId("all-actions").replaceChildren();
    byId("read-only").hidden = this.canControl;
  }

  private follow(): void {
    this.stream = new EventStreamClient(this.api.streamUrl(), {
      message: (m) => this.onMessage(m),
      connection: (live) => {
        setText(byId("connection"), live ? "live" : "disconnected");
        byId("connection").className = `badge ${live ? "on" : "off"}`;
      },
      beforeReconnect: async () => {
        try {
          this.entries = await this.api.get<ProcessEntry[]>("processes");
          this.render();
          return true;
        } catch (err) {
          if (err instanceof ApiError && err.status === 401) {
            showLogin(`The token was refused: ${err.message}`);
            return false;
          }
          return true;
        }
      },
    });
    this.stream.open();
  }

  private onMessage({ t, d }: StreamMessage): void {
    if (t === "log") {
      this.logs.add(d as LogEntry);
      this.page?.addLog(d as LogEntry);
    } else if (t === "init" || t === "application_state") {
      this.applyState(d as InstanceState);
    } else if (t === "process_status_changed") {
      this.merge([(d as { status: ProcessStatus }).status]);
    } else if (t === "process_scheduled") {
      const { id, nextRun } = d as { id: string; nextRun: string | null };
      if (nextRun) this.scheduled.set(id, nextRun);
    } else if (t === "process_health_changed") {
      const event = healthEvent(d as { id: string });
      if (this.page?.id === event.processId) this.page.addEvent(event);
    } else if (t === "terminating") {
      const banner = byId("banner");
      banner.hidden = false;
      banner.textContent = `The instance is terminating (${(d as { reason?: string }).reason ?? "asked to"}).`;
    }
  }

  /** New statuses for known processes; an unknown id means the configuration changed: re-read. */
  private merge(statuses: ProcessStatus[]): void {
    const byId = new Map(statuses.map((s) => [s.id, s]));
    if (statuses.some((s) => !this.entries.some((e) => e.status.id === s.id))) {
      void this.refresh();
    }
    this.entries = this.entries.map((e) => ({ ...e, status: byId.get(e.status.id) ?? e.status }));
    this.render();
  }

  async refresh(): Promise<void> {
    this.entries = await this.api.get<ProcessEntry[]>("processes");
    this.render();
  }

  private applyState(state: InstanceState): void {
    this.renderInstance(state);
    this.sample(state);
    if (Array.isArray(state.processes)) this.merge(withConnections(state));
  }

  private sample(state: InstanceState): void {
    const usage: Sample["usage"] = {};
    let cpu = 0;
    let rss = 0;
    for (const s of state.processes ?? []) {
      if (s.cpu === undefined && s.rss === undefined) continue;
      usage[s.id] = [s.cpu ?? null, s.rss ?? null];
      if (s.type !== "cluster") {
        cpu += s.cpu ?? 0;
        rss += s.rss ?? 0;
      }
    }
    usage[INSTANCE_KEY] = [Math.round(cpu * 10) / 10, rss];
    usage[PUP_KEY] = [null, state.memory?.rss ?? null];
    this.samples.add({ t: Date.parse(state.updated ?? "") || Date.now(), usage });
    this.drawCharts();
  }

  private drawCharts(): void {
    this.instanceCpu.setData(this.samples.series([INSTANCE_KEY], "cpu"));
    this.instanceMemory.setData(this.samples.series([INSTANCE_KEY, PUP_KEY], "rss"));
    for (const [id, [cpu, memory]] of this.rowCharts) {
      cpu.setData(this.samples.series([id], "cpu"));
      memory.setData(this.samples.series([id], "rss"));
    }
    if (this.page) {
      this.page.cpu.setData(this.samples.series([this.page.id], "cpu"));
      this.page.memory.setData(this.samples.series([this.page.id], "rss"));
    }
  }

  private rowChartsToggled(id: string, cell: HTMLElement | undefined): void {
    for (const chart of this.rowCharts.get(id) ?? []) chart.destroy();
    this.rowCharts.delete(id);
    if (!cell) return;
    const charts = [
      new UsageChart(`CPU of ${id}`, "cpu", [{ label: id, color: "--chart-1" }]),
      new UsageChart(`memory of ${id}`, "rss", [{ label: id, color: "--chart-2" }]),
    ];
    cell.append(
      h(
        "div",
        { class: "chart-pair" },
        ...charts.map((c) => c.element),
        h(
          "a",
          { href: `#/process/${encodeURIComponent(id)}`, class: "details" },
          `${id}: details, events, logs →`,
        ),
      ),
    );
    this.rowCharts.set(id, charts);
    this.drawCharts();
  }

  /** The next start of a cron process: the instance's last word if still ahead, else computed. */
  private nextRun(entry: ProcessEntry, now: number): string | undefined {
    if (!entry.config.cron) return undefined;
    const told = this.scheduled.get(entry.config.id);
    return told && Date.parse(told) > now ? told : nextCronRun(entry.config.cron);
  }

  render(): void {
    const now = Date.now();
    const entryOf = new Map(this.entries.map((e) => [e.status.id, e]));
    const nextRun = (id: string) => {
      const entry = entryOf.get(id);
      return entry ? this.nextRun(entry, now) : undefined;
    };
    this.table.update(this.entries, { now, nextRun });
    this.logs.setProcesses(this.entries.filter((e) => e.status.type !== "cluster").map((e) => e.status.id));
    this.renderSummary();
    this.page?.update(entryOf.get(this.page.id)?.status, now, nextRun(this.page.id));
  }

  private renderSummary(): void {
    const members = this.entries.filter((e) => e.status.type !== "cluster").map((e) => e.status);
    const count = (test: (s: ProcessStatus) => boolean) => members.filter(test).length;
    const facts: Array<[string, number | string, string]> = [
      ["running", count((s) => s.status === 200), "good"],
      ["stopped", count((s) => !ACTIVE_STATES.has(s.status) && s.status !== 400 && s.status !== 450), ""],
      ["errored", count((s) => s.status === 400 || s.status === 450), "bad"],
      ["unhealthy", count((s) => s.health === "unhealthy"), "bad"],
      ["restart pending", count((s) => !!s.nextRestart || !!s.pendingRestartReason), "warn"],
      ["blocked", count((s) => s.blocked), "warn"],
      ["CPU", percent(members.reduce((n, s) => n + (s.cpu ?? 0), 0)), ""],
      ["memory", bytes(members.reduce((n, s) => n + (s.rss ?? 0), 0)), ""],
    ];
    const list = byId("summary");
    if (list.childElementCount !== facts.length) {
      list.replaceChildren(
        ...facts.map(([label]) => h("li", { "data-fact": label }, h("strong"), ` ${label}`)),
      );
    }
    facts.forEach(([, value, tone], i) => {
      const li = list.children[i] as HTMLElement;
      setText(li.firstElementChild!, String(value));
      li.className = typeof value === "number" && value > 0 ? tone : "";
    });
  }

  private renderInstance(state: InstanceState): void {
    const facts: Record<string, string> = {
      version: state.version,
      pid: String(state.pid),
      up: duration(Date.now() - Date.parse(state.started)),
      memory: bytes(state.memory?.rss),
      load: state.loadAvg?.map((n) => n.toFixed(2)).join(" ") ?? "",
    };
    const dl = byId("instance");
    if (dl.childElementCount !== Object.keys(facts).length) {
      dl.replaceChildren(
        ...Object.keys(facts).map((k) => h("div", {}, h("dt", {}, k), h("dd", { "data-fact": k }))),
      );
    }
    Object.values(facts).forEach((v, i) => {
      setText(dl.children[i].lastElementChild!, v);
    });
  }

  /** `#/process/<id>` shows that process's page; anything else the overview. */
  route(): void {
    const match = /^#\/process\/(.+)$/.exec(location.hash);
    const id = match ? decodeURIComponent(match[1]) : undefined;
    if (this.page && this.page.id !== id) {
      this.page.destroy();
      this.page = undefined;
    }
    byId("overview").hidden = id !== undefined;
    if (id !== undefined && !this.page) {
      this.page = new ProcessPage(this.api, id, this.canControl);
      byId("process-page").append(this.page.element);
      void this.page.load();
      this.drawCharts();
      this.page.element.querySelector("h2")?.focus();
    }
    this.render();
  }

  /** Keep the collected samples across a reload of the page (same instance only). */
  private restoreSamples(state: InstanceState): void {
    this.samplesKey = `pup-samples:${this.api.root.href}:${state.pid}:${state.started}`;
    try {
      this.samples.restore(JSON.parse(sessionStorage.getItem(this.samplesKey) ?? "null"));
    } catch {
      // nothing kept, or unreadable: start empty
    }
  }

  saveSamples(): void {
    try {
      if (this.samplesKey) sessionStorage.setItem(this.samplesKey, JSON.stringify(this.samples));
    } catch {
      // storage full or disabled: the charts start empty next time
    }
  }

  restyle(): void {
    for (const chart of [this.instanceCpu, this.instanceMemory, ...[...this.rowCharts.values()].flat()]) {
      chart.restyle();
    }
    if (this.page) for (const chart of [this.page.cpu, this.page.memory]) chart.restyle();
    this.drawCharts();
  }

  /** A click on any action button: the table's, the process page's, or "Start all"/"Stop all". */
  async act(button: HTMLButtonElement): Promise<void> {
    const { action, id } = button.dataset as { action: string; id: string };
    const error = byId("action-error");
    error.textContent = "";
    button.disabled = true;
    try {
      await this.api.act(id, action);
      await this.refresh();
    } catch (err) {
      error.textContent = actionMessage(action, id, err, this.identity);
    } finally {
      button.disabled = false;
    }
  }
}

let dashboard: Dashboard | undefined;

async function connect(token: string): Promise<void> {
  if (!token) {
    showLogin("");
    return;
  }
  const candidate = new Dashboard(new Api(token));
  if (await candidate.start()) dashboard = candidate;
}

document.addEventListener("click", (event) => {
  const button = (event.target as HTMLElement).closest<HTMLButtonElement>("button[data-action]");
  if (button && dashboard) void dashboard.act(button);
});
byId("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  void connect(byId<HTMLInputElement>("token").value.trim());
});
byId("sign-out").addEventListener("click", () => {
  localStorage.removeItem("pup-token");
  location.reload();
});
window.addEventListener("hashchange", () => dashboard?.route());
window.addEventListener("pagehide", () => dashboard?.saveSamples());
matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => dashboard?.restyle());
setInterval(() => dashboard?.render(), 1000);
void connect(takeToken()).catch((err: Error) => showLogin(`The instance cannot be reached: ${err.message}`));
