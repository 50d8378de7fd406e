import { median } from "./lib/stats.js";

const MiB = 2 ** 20;

/** How each unit is printed. */
const FORMAT = {
  ms: (v) => (v < 10 ? v.toFixed(2) : v.toFixed(0)),
  MiB: (v) => (v / MiB).toFixed(1),
  "%": (v) => v.toFixed(2),
  "lines/s": (v) => `${(v / 1000).toFixed(0)} k`,
  "req/s": (v) => v.toFixed(0),
  µs: (v) => v.toFixed(1),
  count: (v) => String(v),
};

const get = (object, ...keys) => keys.reduce((o, k) => (o == null ? undefined : o[k]), object);

/**
 * One row per figure: values for pup, PM2, supervisord and a reference (the bare-node floor; for
 * the load balancer, a minimal node proxy), and the target with its verdict (true, false, or
 * undefined when a figure is missing).
 */
function row(metric, unit, values, target) {
  const { pup, pm2, supervisord, reference } = values;
  let pass;
  if (target?.check) {
    try {
      pass = target.check(values);
    } catch {
      pass = undefined;
    }
  }
  return { metric, unit, pup, pm2, supervisord, reference, target: target?.text, pass, note: values.note };
}

const defined = (...xs) => xs.every((x) => x !== undefined && x !== null && !Number.isNaN(x));
/** A check that holds only when all of its figures exist. */
const when = (keys, fn) => (v) => {
  const xs = keys.map((k) => v[k]);
  return defined(...xs) ? fn(...xs) : undefined;
};

export function buildReport(r) {
  const rows = [];
  const idle = (manager, n, key) => get(r, "idle", `${manager}.${n}`, key);
  const floorRss = get(r, "floor", "rss");

  for (const n of [10, 100]) {
    rows.push(
      row(
        `idle RSS, ${n} children`,
        "MiB",
        {
          pup: idle("pup", n, "rss"),
          pm2: idle("pm2", n, "rss"),
          supervisord: idle("supervisord", n, "rss"),
          reference: floorRss,
        },
        n === 100
          ? {
              text: "≤ 0.7× PM2, ≤ 1.2× floor",
              check: when(["pup", "pm2", "reference"], (p, q, f) => p <= 0.7 * q && p <= 1.2 * f),
            }
          : undefined,
      ),
    );
  }
  for (const n of [10, 100]) {
    rows.push(
      row(
        `idle CPU, ${n} children`,
        "%",
        {
          pup: idle("pup", n, "cpu"),
          pm2: idle("pm2", n, "cpu"),
          supervisord: idle("supervisord", n, "cpu"),
        },
        n === 100 ? { text: "≤ 0.2 %", check: when(["pup"], (p) => p <= 0.2) } : undefined,
      ),
    );
  }
  // All 100 running: the idle launch and every terminate round are samples of the same thing.
  const start100 = (m) =>
    median([idle(m, 100, "startMs"), ...(get(r, "terminate", m, "samples") ?? []).map((s) => s.startMs)]);
  rows.push(
    row("launch → all running, 10", "ms", {
      pup: idle("pup", 10, "startMs"),
      pm2: idle("pm2", 10, "startMs"),
      supervisord: idle("supervisord", 10, "startMs"),
      reference: idle("node", 10, "startMs"),
    }),
    row(
      "launch → all running, 100",
      "ms",
      {
        pup: start100("pup"),
        pm2: start100("pm2"),
        supervisord: start100("supervisord"),
        reference: idle("node", 100, "startMs"),
      },
      { text: "≤ 0.5× PM2", check: when(["pup", "pm2"], (p, q) => p <= 0.5 * q) },
    ),
  );
  const restart = (m) => get(r, "restart", m, "gapMs");
  rows.push(
    row(
      "crash → restart gap (median)",
      "ms",
      {
        pup: restart("pup"),
        pm2: restart("pm2"),
        supervisord: restart("supervisord"),
        reference: restart("nodeFloor"),
      },
      { text: "≤ PM2, ≤ 5 ms", check: when(["pup", "pm2"], (p, q) => p <= q && p <= 5) },
    ),
  );
  const logs = (m, key) => get(r, "logs", m, key);
  rows.push(
    row(
      "log capture to file",
      "lines/s",
      {
        pup: logs("pup", "linesPerSec"),
        pm2: logs("pm2", "linesPerSec"),
        supervisord: logs("supervisord", "linesPerSec"),
      },
      { text: "≥ 1× supervisord", check: when(["pup", "supervisord"], (p, s) => p >= s) },
    ),
    row(
      "log lines lost (file)",
      "count",
      {
        pup: logs("pup", "lost"),
        pm2: logs("pm2", "lost"),
        supervisord: logs("supervisord", "lost"),
      },
      { text: "0", check: when(["pup"], (p) => p === 0) },
    ),
    row(
      "log capture into pup's store",
      "lines/s",
      {
        pup: get(r, "logs", "pup", "store", "linesPerSec"),
        note: get(r, "logs", "pup", "store") ? undefined : "no store yet",
      },
      {
        text: "≥ 500 k/s, 0 lost",
        check: when(["pup"], (p) => p >= 500_000 && get(r, "logs", "pup", "store", "lost") === 0),
      },
    ),
  );
  const cli = (m) => get(r, "cli", m, "ms");
  rows.push(
    row(
      "status CLI round trip (median of 10)",
      "ms",
      {
        pup: cli("pup"),
        pm2: cli("pm2"),
        supervisord: cli("supervisord"),
        note: cli("pup") ? undefined : "pup status not there yet",
      },
      { text: "≤ 0.7× pm2 jlist", check: when(["pup", "pm2"], (p, q) => p <= 0.7 * q) },
    ),
  );
  const term = (m, key) => get(r, "terminate", m, key);
  rows.push(
    row(
      "terminate, 100 children: all gone",
      "ms",
      {
        pup: term("pup", "childrenGoneMs"),
        pm2: term("pm2", "childrenGoneMs"),
        supervisord: term("supervisord", "childrenGoneMs"),
      },
      { text: "≤ 0.5× PM2", check: when(["pup", "pm2"], (p, q) => p <= 0.5 * q) },
    ),
    row(
      "terminate, 100 children: orphans",
      "count",
      {
        pup: term("pup", "orphans"),
        pm2: term("pm2", "orphans"),
        supervisord: term("supervisord", "orphans"),
      },
      { text: "0", check: when(["pup"], (p) => p === 0) },
    ),
  );
  const processes = get(r, "api", "processes");
  rows.push(
    row(
      "GET /processes, 100 processes",
      "req/s",
      { pup: processes?.reqPerSec, note: processes?.na },
      { text: "≥ 5 000", check: when(["pup"], (p) => p >= 5000) },
    ),
    row(
      "GET /processes p99",
      "ms",
      { pup: processes?.p99Ms, note: processes?.na },
      { text: "≤ 20 ms", check: when(["pup"], (p) => p <= 20) },
    ),
  );
  rows.push(...balancerRows(r.balancer));
  const scale = r.scale ?? {};
  const n = scale.children ?? 1000;
  rows.push(
    row(
      `${n} children: launch → all running`,
      "ms",
      { pup: scale.startMs, reference: scale.nodeFloorMs },
      {
        text: "≤ 3 000 ms",
        check: when(["pup"], (p) => p <= 3000),
      },
    ),
    row(`${n} children: idle RSS`, "MiB", { pup: scale.rss, reference: floorRss }),
    row(
      `${n} children: idle CPU`,
      "%",
      { pup: scale.cpu },
      { text: "≤ 1 %", check: when(["pup"], (p) => p <= 1) },
    ),
  );
  const health = r.health ?? {};
  rows.push(
    row(
      `${health.n ?? 100} children, HTTP health check each every 1 s: CPU (reference: no checks)`,
      "%",
      { pup: health.probed?.cpu, reference: health.plain?.cpu },
      { text: "≤ 3 %", check: when(["pup"], (p) => p <= 3) },
    ),
  );
  return rows;
}

/**
 * The load balancer against the floor of a userspace proxy (a minimal two-`pipe` node proxy, in
 * the reference column), measured in the same run; the backend reached directly is in the note.
 */
function balancerRows(lb) {
  const rows = [];
  for (const [mode, label] of [
    ["keepAlive", "keep-alive"],
    ["newConnection", "new connection per request"],
  ]) {
    const m = get(lb, mode);
    const direct = (key, unit) =>
      m?.direct?.[key] === undefined ? undefined : `direct ${cell(m.direct[key], unit)} ${unit}`;
    rows.push(
      row(
        `balancer, ${label}`,
        "req/s",
        { pup: m?.pup?.reqPerSec, reference: m?.minimal?.reqPerSec, note: direct("reqPerSec", "req/s") },
        { text: "≥ 0.95× minimal proxy", check: when(["pup", "reference"], (p, q) => p >= 0.95 * q) },
      ),
      row(
        `balancer p99, ${label}`,
        "ms",
        { pup: m?.pup?.p99Ms, reference: m?.minimal?.p99Ms, note: direct("p99Ms", "ms") },
        { text: "≤ minimal proxy / 0.95", check: when(["pup", "reference"], (p, q) => p <= q / 0.95) },
      ),
      row(`balancer CPU per request, ${label}`, "µs", {
        pup: m?.pup?.cpuUsPerRequest,
        reference: m?.minimal?.cpuUsPerRequest,
      }),
    );
  }
  const failed = ["keepAlive", "newConnection"].reduce(
    (n, mode) => n + (get(lb, mode, "pup", "errors") ?? 0),
    0,
  );
  rows.push(
    row(
      "balancer: failed requests",
      "count",
      { pup: lb?.keepAlive ? failed : undefined },
      { text: "0", check: when(["pup"], (p) => p === 0) },
    ),
  );
  return rows;
}

function cell(value, unit) {
  return value === undefined || value === null || Number.isNaN(value) ? "n/a" : FORMAT[unit](value);
}

/** a/b, or n/a where b is missing or prints as zero in its unit (PM2's idle CPU). */
function ratio(a, b, unit) {
  if (!defined(a, b) || Number(cell(b, unit).replace(/[^0-9.]/g, "")) === 0) return "n/a";
  const r = a / b;
  return `${r >= 0.01 ? r.toFixed(2) : r.toPrecision(1)}×`;
}

export function renderTable(rows, meta) {
  const head =
    "| figure | unit | pup | PM2 | supervisord | bare node / direct | pup/PM2 | pup/supervisord | pup/bare node | target | result |";
  const lines = [head, head.replace(/[^|]+/g, "---")];
  for (const r of rows) {
    const verdict = r.pass === true ? "pass" : r.pass === false ? "**FAIL**" : r.target ? "n/a" : "";
    const note = r.note ? ` (${r.note})` : "";
    lines.push(
      `| ${r.metric}${note} | ${r.unit} | ${cell(r.pup, r.unit)} | ${cell(r.pm2, r.unit)} | ${cell(r.supervisord, r.unit)} | ${cell(r.reference, r.unit)} | ${ratio(r.pup, r.pm2, r.unit)} | ${ratio(r.pup, r.supervisord, r.unit)} | ${ratio(r.pup, r.reference, r.unit)} | ${r.target ?? ""} | ${verdict} |`,
    );
  }
  const when = meta
    ? `\n\n${meta.quick ? "QUICK run (short windows, fewer lines): not for the record. " : ""}Taken ${meta.startedAt} → ${meta.finishedAt}; pup ${meta.git ?? "?"} (${meta.build}); node ${meta.node}, ${meta.cpus} × ${meta.cpuModel}; load average before ${meta.loadAvgBefore?.map((x) => x.toFixed(2)).join(" ")}, after ${meta.loadAvgAfter.map((x) => x.toFixed(2)).join(" ")}.`
    : "";
  return lines.join("\n") + when;
}
