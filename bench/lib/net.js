import { connect, createServer } from "node:net";
import autocannon from "autocannon";

/** A port nothing listens on right now (the kernel's choice). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export function canConnect(port) {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** autocannon, 10 connections for `durationS`: requests/s, p99 latency, failures. */
export async function cannon(url, { headers = {}, durationS, connections = 10 }) {
  const result = await autocannon({ url, connections, duration: durationS, headers });
  return {
    reqPerSec: result.requests.average,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}
