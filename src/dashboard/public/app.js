// The pup dashboard: talks to the instance's own REST API and event stream with an API token.
const STATES = {
  0: "CREATED",
  100: "STARTING",
  200: "RUNNING",
  250: "STOPPING",
  300: "FINISHED",
  400: "ERRORED",
  450: "EXHAUSTED",
  500: "MIXED",
};
const MAX_LOG_LINES = 2000;
const $ = (selector) => document.querySelector(selector);

let token =
  new URLSearchParams(location.hash.slice(1)).get("token") || localStorage.getItem("pup-token") || "";
if (location.hash) history.replaceState(null, "", location.pathname);
let processes = [];
let socket;
let retryDelay = 500;

async function api(method, path) {
  const res = await fetch(`../${path}`, { method, headers: { Authorization: `Bearer ${token}` } });
  const body = res.headers.get("content-type")?.includes("json") ? await res.json() : {};
  if (!res.ok)
    throw Object.assign(new Error(body.error || `${res.status} ${res.statusText}`), { status: res.status });
  return body.data;
}

function since(iso) {
  if (!iso) return "";
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (s < 60) return `${Math.floor(s)}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

function bytes(n) {
  if (n === undefined) return "";
  const units = ["B", "KiB", "MiB", "GiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text ?? "";
  if (className) td.className = className;
  return td;
}

function renderProcesses() {
  const body = $("#processes tbody");
  body.replaceChildren();
  for (const { status } of processes) {
    const tr = document.createElement("tr");
    tr.dataset.id = status.id;
    if (
      /-\d+$/.test(status.id) &&
      processes.some((p) => p.status.type === "cluster" && status.id.startsWith(`${p.status.id}-`))
    ) {
      tr.className = "instance-row";
    }
    const name = STATES[status.status] ?? String(status.status);
    const statusCell = cell(name, `status s-${name}`);
    if (status.blocked) statusCell.insertAdjacentHTML("beforeend", '<span class="blocked">blocked</span>');
    tr.append(
      cell(status.id, "id"),
      cell(status.type),
      statusCell,
      cell(status.pid),
      cell(status.restarts),
      cell(since(status.started)),
      cell(status.cpu === undefined ? "" : `${status.cpu.toFixed(1)} %`),
      cell(bytes(status.rss)),
    );
    const actions = cell("", "actions");
    const running = status.status === 100 || status.status === 200 || status.status === 500;
    for (const action of [running ? "stop" : "start", "restart", status.blocked ? "unblock" : "block"]) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = action;
      button.dataset.action = action;
      button.dataset.id = status.id;
      actions.append(button);
    }
    tr.append(actions);
    body.append(tr);
  }
  const select = $("#log-process");
  const chosen = select.value;
  select.replaceChildren(new Option("all processes", ""), new Option("core", "core"));
  for (const { status } of processes)
    if (status.type !== "cluster") select.append(new Option(status.id, status.id));
  select.value = chosen;
}

function renderState(state) {
  const facts = {
    pid: state.pid,
    version: state.version,
    up: since(state.started).replace(" ago", ""),
    memory: bytes(state.memory?.rss),
    load: state.loadAvg?.map((n) => n.toFixed(2)).join(" "),
  };
  $("#instance").replaceChildren(
    ...Object.entries(facts).map(([k, v]) => {
      const div = document.createElement("div");
      div.innerHTML = `<dt></dt><dd></dd>`;
      div.firstChild.textContent = k;
      div.lastChild.textContent = v ?? "";
      return div;
    }),
  );
}

function logLine(entry) {
  const processFilter = $("#log-process").value;
  const severityFilter = $("#log-severity").value;
  if (processFilter && entry.processId !== processFilter) return;
  if (severityFilter && entry.severity !== severityFilter) return;
  const pre = $("#logs");
  const line = document.createElement("div");
  line.className =
    entry.severity === "error"
      ? "error"
      : entry.severity === "warn"
        ? "warn"
        : entry.processId === "core"
          ? "core"
          : "";
  line.textContent = `${new Date(entry.timeStamp).toISOString()} [${entry.severity.toUpperCase()}] [${entry.processId}:${entry.category}] ${entry.text}`;
  pre.append(line);
  while (pre.childElementCount > MAX_LOG_LINES) pre.firstElementChild.remove();
  if ($("#log-follow").checked) pre.scrollTop = pre.scrollHeight;
}

async function loadLogs() {
  $("#logs").replaceChildren();
  const params = new URLSearchParams({ nRows: "300" });
  if ($("#log-process").value) params.set("processId", $("#log-process").value);
  if ($("#log-severity").value) params.set("severity", $("#log-severity").value);
  for (const entry of await api("GET", `logs?${params}`)) logLine(entry);
}

async function refresh() {
  processes = await api("GET", "processes");
  renderProcesses();
}

function connectStream() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const base = location.pathname.replace(/dashboard\/?.*$/, "");
  socket = new WebSocket(`${scheme}://${location.host}${base}wss?access_token=${encodeURIComponent(token)}`);
  socket.onopen = () => {
    retryDelay = 500;
    $("#connection").textContent = "live";
    $("#connection").className = "badge on";
  };
  socket.onmessage = (message) => {
    const { t, d } = JSON.parse(message.data);
    if (t === "log") logLine(d);
    else if (t === "application_state") {
      renderState(d);
      if (Array.isArray(d.processes)) {
        const byId = new Map(d.processes.map((s) => [s.id, s]));
        processes = processes.map((p) => ({ ...p, status: byId.get(p.status.id) ?? p.status }));
        renderProcesses();
      }
    } else if (t === "process_status_changed") {
      processes = processes.map((p) => (p.status.id === d.status.id ? { ...p, status: d.status } : p));
      renderProcesses();
    }
  };
  socket.onclose = () => {
    $("#connection").textContent = "disconnected";
    $("#connection").className = "badge off";
    setTimeout(() => start().catch(() => {}), retryDelay);
    retryDelay = Math.min(retryDelay * 2, 10_000);
  };
}

async function start() {
  try {
    await refresh();
  } catch (err) {
    if (err.status === 401 || err.status === 403 || !token) {
      $("#login").hidden = false;
      $("#app").hidden = true;
      $("#login-error").textContent = token ? `The token was refused: ${err.message}` : "";
      return;
    }
    throw err;
  }
  localStorage.setItem("pup-token", token);
  $("#login").hidden = true;
  $("#app").hidden = false;
  renderState(await api("GET", "state"));
  await loadLogs();
  connectStream();
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  $("#action-error").textContent = "";
  button.disabled = true;
  try {
    await api("POST", `processes/${encodeURIComponent(button.dataset.id)}/${button.dataset.action}`);
    await refresh();
  } catch (err) {
    $("#action-error").textContent = `${button.dataset.action} ${button.dataset.id}: ${err.message}`;
  } finally {
    button.disabled = false;
  }
});
$("#token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  token = $("#token").value.trim();
  start();
});
$("#log-process").addEventListener("change", loadLogs);
$("#log-severity").addEventListener("change", loadLogs);
setInterval(() => {
  if (processes.length) renderProcesses();
}, 10_000);
start();
