import { h, setText } from "./dom.ts";
import { ACTIVE_STATES, bytes, duration, exitText, percent, relative, stateName } from "./format.ts";
import { rowActions, statusNote } from "./status-text.ts";
import type { ProcessEntry, ProcessStatus } from "./types.ts";

/** What a row shows besides the status itself. */
export interface RowContext {
  now: number;
  /** ISO time of a cron process's next start, by id. */
  nextRun(id: string): string | undefined;
}

interface Row {
  tr: HTMLTableRowElement;
  cells: Record<(typeof COLUMNS)[number], HTMLTableCellElement>;
  name: HTMLAnchorElement;
  toggle: HTMLButtonElement | undefined;
  chartsButton: HTMLButtonElement;
  state: HTMLSpanElement;
  blocked: HTMLSpanElement;
  note: HTMLSpanElement;
  health: HTMLSpanElement;
  buttons: HTMLButtonElement[];
  /** The cluster this row is an instance of. */
  cluster: string | undefined;
}

const COLUMNS = [
  "name",
  "status",
  "health",
  "pid",
  "uptime",
  "restarts",
  "exit",
  "cpu",
  "memory",
  "actions",
] as const;
const HEADINGS: Record<(typeof COLUMNS)[number], string> = {
  name: "process",
  status: "status",
  health: "health",
  pid: "pid",
  uptime: "uptime",
  restarts: "restarts",
  exit: "last exit",
  cpu: "CPU",
  memory: "memory",
  actions: "",
};

/**
 * The process table: one row per process, updated in place (focus and open charts survive the
 * once-a-second updates); on narrow screens style.css turns rows into cards.
 */
export class ProcessTable {
  readonly element: HTMLTableElement;
  private readonly body: HTMLTableSectionElement;
  private readonly rows = new Map<string, Row>();
  private readonly chartRows = new Map<string, HTMLTableRowElement>();
  private order = "";
  readonly collapsed = new Set<string>(JSON.parse(localStorage.getItem("pup-collapsed") ?? "[]") as string[]);

  constructor(
    /** Without the control scope, rows have no action buttons. */
    private readonly canControl: boolean,
    private readonly onCharts: (id: string, cell: HTMLElement | undefined) => void,
  ) {
    this.body = h("tbody");
    this.element = h(
      "table",
      { class: "processes", "aria-label": "processes" },
      h("thead", {}, h("tr", {}, ...COLUMNS.map((c) => h("th", { scope: "col" }, HEADINGS[c])))),
      this.body,
    );
    this.element.classList.toggle("read-only", !canControl);
    this.body.addEventListener("click", (event) => this.clicked(event));
  }

  private clicked(event: MouseEvent): void {
    const target = event.target as HTMLElement;
    const tr = target.closest<HTMLTableRowElement>("tr[data-id]");
    if (!tr) return;
    const id = tr.dataset.id!;
    if (target.closest("button.toggle")) this.toggleCluster(id);
    else if (target.closest("button.charts") || !target.closest("a, button, input, select"))
      this.toggleCharts(id);
  }

  private toggleCluster(id: string): void {
    if (this.collapsed.has(id)) this.collapsed.delete(id);
    else this.collapsed.add(id);
    localStorage.setItem("pup-collapsed", JSON.stringify([...this.collapsed]));
    for (const row of this.rows.values()) this.applyVisibility(row);
  }

  /** Open or close a row's charts (below the row). */
  toggleCharts(id: string): void {
    const row = this.rows.get(id);
    if (!row) return;
    const open = this.chartRows.get(id);
    if (open) {
      open.remove();
      this.chartRows.delete(id);
      this.onCharts(id, undefined);
    } else {
      const cell = h("td", { colspan: COLUMNS.length, class: "charts-cell" });
      const tr = h("tr", { class: "charts-row", "data-charts-for": id }, cell);
      row.tr.after(tr);
      this.chartRows.set(id, tr);
      this.onCharts(id, cell);
    }
    row.chartsButton.setAttribute("aria-expanded", String(!open));
  }

  private applyVisibility(row: Row): void {
    const hidden = row.cluster !== undefined && this.collapsed.has(row.cluster);
    row.tr.hidden = hidden;
    const charts = this.chartRows.get(row.tr.dataset.id!);
    if (charts) charts.hidden = hidden;
    if (row.toggle) row.toggle.setAttribute("aria-expanded", String(!this.collapsed.has(row.tr.dataset.id!)));
  }

  update(entries: ProcessEntry[], ctx: RowContext): void {
    const seen = new Set<string>();
    for (const entry of entries) {
      const { id } = entry.status;
      seen.add(id);
      let row = this.rows.get(id);
      if (!row) {
        row = this.createRow(entry);
        this.rows.set(id, row);
      }
      this.fill(row, entry.status, ctx);
    }
    for (const [id, row] of this.rows) {
      if (seen.has(id)) continue;
      row.tr.remove();
      this.chartRows.get(id)?.remove();
      this.chartRows.delete(id);
      this.rows.delete(id);
      this.onCharts(id, undefined);
    }
    const order = entries.map((e) => e.status.id).join("\n");
    if (order !== this.order) {
      this.order = order;
      for (const entry of entries) {
        const { id } = entry.status;
        this.body.append(this.rows.get(id)!.tr);
        const charts = this.chartRows.get(id);
        if (charts) this.body.append(charts);
      }
    }
  }

  private createRow(entry: ProcessEntry): Row {
    const { status, config } = entry;
    const cluster = status.type !== "cluster" && config.id !== status.id ? config.id : undefined;
    const cells = Object.fromEntries(
      COLUMNS.map((c) => [c, h("td", { class: `c-${c}`, "data-label": HEADINGS[c] })]),
    ) as Row["cells"];
    const tr = h("tr", { "data-id": status.id, class: cluster ? "instance-row" : status.type });
    tr.append(...COLUMNS.map((c) => cells[c]));
    const row: Row = {
      tr,
      cells,
      cluster,
      name: h("a", { href: `#/process/${encodeURIComponent(status.id)}`, class: "id" }, status.id),
      toggle:
        status.type === "cluster"
          ? h("button", { type: "button", class: "toggle", "aria-label": `instances of ${status.id}` })
          : undefined,
      chartsButton: h(
        "button",
        { type: "button", class: "charts", "aria-expanded": "false", "aria-label": `charts of ${status.id}` },
        "charts",
      ),
      state: h("span", { class: "state" }),
      blocked: h("span", { class: "badge blocked" }, "blocked"),
      note: h("span", { class: "note" }),
      health: h("span", { class: "health" }),
      buttons: this.canControl ? [0, 1, 2].map(() => h("button", { type: "button", class: "action" })) : [],
    };
    cells.name.append(...[row.toggle, row.name, row.chartsButton].filter((n) => n !== undefined));
    cells.status.append(row.state, row.blocked, row.note);
    cells.health.append(row.health);
    cells.actions.append(...row.buttons);
    this.applyVisibility(row);
    return row;
  }

  private fill(row: Row, status: ProcessStatus, ctx: RowContext): void {
    const { cells } = row;
    const name = stateName(status.status);
    setText(row.state, name);
    row.state.className = `state s-${name}`;
    row.blocked.hidden = !status.blocked;
    row.tr.classList.toggle("is-blocked", status.blocked);
    setText(row.note, statusNote(status, ctx.nextRun(status.id), ctx.now));
    setText(row.health, status.health ?? "–");
    row.health.className = status.health ? `health badge h-${status.health}` : "health none";
    setText(cells.pid, status.pid === undefined ? "" : String(status.pid));
    const running = ACTIVE_STATES.has(status.status) && status.started;
    setText(cells.uptime, running ? duration(ctx.now - Date.parse(status.started!)) : "");
    setText(cells.restarts, String(status.restarts));
    const exit = exitText(status.code, status.signal);
    setText(cells.exit, exit && status.exited ? `${exit}, ${relative(status.exited, ctx.now)}` : exit);
    cells.exit.classList.toggle("bad", !!status.signal || (status.code !== undefined && status.code !== 0));
    setText(cells.cpu, percent(status.cpu));
    setText(cells.memory, bytes(status.rss));
    row.buttons.forEach((button, i) => {
      const action = rowActions(status)[i];
      setText(button, action);
      button.dataset.action = action;
      button.dataset.id = status.id;
      button.setAttribute("aria-label", `${action} ${status.id}`);
    });
  }
}
