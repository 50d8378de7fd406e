import { spawn } from "node:child_process";
import https from "node:https";
import net from "node:net";
import { hostPort } from "../common/net.ts";
import { signalGroup } from "../runner/process-group.ts";

/** What one probe found: success, or why not (in the user's words, for the log and the event). */
export type ProbeResult = { ok: true } | { ok: false; error: string };

/** One probe, resolved (never rejected) within about `timeoutMs`. */
export type Probe = (timeoutMs: number) => Promise<ProbeResult>;

/** An HTTPS agent that never keeps a connection: nothing stays open between probes. */
const httpsAgent = new https.Agent({ keepAlive: false });

/** The status line's code, once the answer's first line is in: `HTTP/1.1 204 No Content` → 204. */
const STATUS_LINE = /^HTTP\/\d(?:\.\d)? (\d{3})/;

/**
 * A GET answered 2xx or 3xx within the timeout. Over plain HTTP the request is written on a
 * fresh connection (`Connection: close`) and only the status line is read: a probe a second
 * for each of 100 processes then costs the instance a third of what Node's HTTP client does
 * (measured in docs/benchmarks.md). HTTPS goes through Node's client, without keep-alive.
 */
export function httpProbe(url: string): Probe {
  const target = new URL(url);
  if (target.protocol === "https:") return httpsProbe(target, url);
  const host = target.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = Number(target.port || 80);
  const request =
    `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\n` +
    "User-Agent: pup-healthcheck\r\nAccept: */*\r\nConnection: close\r\n\r\n";
  return (timeoutMs) =>
    socketProbe(host, port, timeoutMs, url, (socket, finish) => {
      let head = "";
      socket.setEncoding("latin1");
      socket.write(request);
      socket.on("data", (chunk: string) => {
        head += chunk;
        if (!head.includes("\n") && head.length < 1024) return;
        const status = Number(STATUS_LINE.exec(head)?.[1] ?? 0);
        if (status === 0) finish({ ok: false, error: `${url}: not an HTTP answer` });
        else if (status >= 200 && status < 400) finish({ ok: true });
        else finish({ ok: false, error: `HTTP ${status} from ${url}` });
      });
      socket.on("end", () => finish({ ok: false, error: `${url}: closed without an answer` }));
    });
}

function httpsProbe(target: URL, url: string): Probe {
  const options = { agent: httpsAgent, headers: { "user-agent": "pup-healthcheck" } };
  return (timeoutMs) =>
    new Promise((resolve) => {
      let done = false;
      const finish = (result: ProbeResult) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        request.destroy();
        resolve(result);
      };
      const request = https.get(target, options, (res) => {
        const status = res.statusCode ?? 0;
        res.resume();
        finish(
          status >= 200 && status < 400 ? { ok: true } : { ok: false, error: `HTTP ${status} from ${url}` },
        );
      });
      request.on("error", (err: NodeJS.ErrnoException) =>
        finish({ ok: false, error: `${url}: ${err.code ?? err.message}` }),
      );
      const timer = setTimeout(
        () => finish({ ok: false, error: `${url}: no answer within ${timeoutMs} ms` }),
        timeoutMs,
      );
    });
}

/**
 * A connection to host:port, then `exchange` decides (a TCP probe: the connection is the answer).
 * Whatever the outcome, the socket is closed politely (FIN, not RST: a server that is still
 * writing gets no ECONNRESET) and destroyed soon after.
 */
function socketProbe(
  host: string,
  port: number,
  timeoutMs: number,
  what: string,
  exchange?: (socket: net.Socket, finish: (result: ProbeResult) => void) => void,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let done = false;
    const finish = (result: ProbeResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(result);
      if (socket.connecting || socket.destroyed) {
        socket.destroy();
        return;
      }
      // Decided: the rest of the answer (a body of any size) is read and thrown away unlooked-at.
      socket.removeAllListeners("data");
      socket.resume();
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    };
    socket.on("error", (err: NodeJS.ErrnoException) =>
      finish({ ok: false, error: `${what}: ${err.code ?? err.message}` }),
    );
    socket.once("connect", () => (exchange ? exchange(socket, finish) : finish({ ok: true })));
    const timer = setTimeout(
      () => finish({ ok: false, error: `${what}: no answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
  });
}

/** A TCP connection accepted (and closed at once). */
export function tcpProbe(host: string, port: number): Probe {
  const where = `tcp ${hostPort(host, port)}`;
  return (timeoutMs) => socketProbe(host, port, timeoutMs, where);
}

/** The last bytes of a probe command's output, for its error. */
const OUTPUT_TAIL = 200;

/**
 * A command that exits 0, run by /bin/sh in its own process group, which is killed whole on a
 * timeout, and whatever the command left behind in it once it is over.
 */
export function commandProbe(command: string, cwd: string, env: NodeJS.ProcessEnv): Probe {
  return (timeoutMs) =>
    new Promise((resolve) => {
      let output = "";
      let timedOut = false;
      let child: ReturnType<typeof spawn>;
      try {
        child = spawn("/bin/sh", ["-c", command], {
          cwd,
          env,
          detached: true,
          stdio: ["ignore", "pipe", "pipe"],
        });
      } catch (err) {
        resolve({ ok: false, error: `cannot run the probe: ${(err as Error).message}` });
        return;
      }
      const keep = (chunk: Buffer) => {
        output = (output + chunk.toString("utf8")).slice(-OUTPUT_TAIL);
      };
      child.stdout?.on("data", keep);
      child.stderr?.on("data", keep);
      const killGroup = () => {
        if (child.pid !== undefined) signalGroup(child.pid, "SIGKILL");
      };
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup();
      }, timeoutMs);
      child.once("error", (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        resolve({ ok: false, error: `cannot run the probe: ${err.code ?? err.message}` });
      });
      child.once("close", (code, signal) => {
        clearTimeout(timer);
        killGroup();
        const tail = output.trim().split("\n").at(-1) ?? "";
        if (timedOut) resolve({ ok: false, error: `probe command did not finish within ${timeoutMs} ms` });
        else if (code === 0) resolve({ ok: true });
        else {
          const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
          resolve({ ok: false, error: `probe command ${how}${tail ? `: ${tail}` : ""}` });
        }
      });
    });
}
