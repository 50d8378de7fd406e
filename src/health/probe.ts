import { spawn } from "node:child_process";
import http from "node:http";
import https from "node:https";
import net from "node:net";

/** What one probe found: success, or why not (in the user's words, for the log and the event). */
export type ProbeResult = { ok: true } | { ok: false; error: string };

/** One probe, resolved (never rejected) within about `timeoutMs`. */
export type Probe = (timeoutMs: number) => Promise<ProbeResult>;

/** Agents that never keep a connection: one of each for every probe, instead of one per request. */
const agents = {
  "http:": new http.Agent({ keepAlive: false }),
  "https:": new https.Agent({ keepAlive: false }),
};

/**
 * A GET answered 2xx or 3xx. No keep-alive, so a probe never rides on a connection the server
 * would have closed, and nothing stays open between probes; the body is discarded.
 */
export function httpProbe(url: string): Probe {
  const target = new URL(url);
  const secure = target.protocol === "https:";
  const get = secure ? https.get : http.get;
  const options = {
    agent: agents[secure ? "https:" : "http:"],
    headers: { "user-agent": "pup-healthcheck" },
  };
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
      const request = get(target, options, (res) => {
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

/** A TCP connection accepted (and closed at once). */
export function tcpProbe(host: string, port: number): Probe {
  const where = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  return (timeoutMs) =>
    new Promise((resolve) => {
      const socket = net.connect({ host, port });
      const finish = (result: ProbeResult) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(result);
      };
      socket.once("connect", () => {
        // Closed politely (FIN, not RST: a server that writes a greeting gets no ECONNRESET),
        // and destroyed soon whatever the server does.
        clearTimeout(timer);
        resolve({ ok: true });
        socket.on("error", () => {});
        socket.resume();
        socket.end();
        setTimeout(() => socket.destroy(), 1000).unref();
      });
      socket.once("error", (err: NodeJS.ErrnoException) =>
        finish({ ok: false, error: `tcp ${where}: ${err.code ?? err.message}` }),
      );
      const timer = setTimeout(
        () => finish({ ok: false, error: `tcp ${where}: not accepted within ${timeoutMs} ms` }),
        timeoutMs,
      );
    });
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
        try {
          if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
        } catch {
          // the group is gone
        }
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
