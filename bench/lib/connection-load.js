import { connect } from "node:net";
import { percentile } from "./stats.js";

const request = (keepAlive) =>
  Buffer.from(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: ${keepAlive ? "keep-alive" : "close"}\r\n\r\n`,
  );

/**
 * Reads HTTP/1.1 answers with a Content-Length off one connection: `feed` each chunk, and it
 * calls `onAnswer(status)` for every complete one.
 */
function answerReader(onAnswer) {
  let pending = "";
  return (chunk) => {
    pending += chunk.toString("latin1");
    for (;;) {
      const headEnd = pending.indexOf("\r\n\r\n");
      if (headEnd < 0) return;
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(pending.slice(0, headEnd));
      const end = headEnd + 4 + (length ? Number(length[1]) : 0);
      if (pending.length < end) return;
      const status = Number(pending.slice(9, 12));
      pending = pending.slice(end);
      onAnswer(status);
    }
  };
}

/**
 * An HTTP load of `connections` clients, each sending one request at a time for `durationS`:
 * with keep-alive, every client sends its requests one after another on one connection; without,
 * it opens a connection per request and reads the answer to the connection's end (as a client
 * that does not reuse connections does; autocannon with `Connection: close` writes its next
 * request into the closing connection and times the answers from the lost one). Latency is
 * timed from the request's write (without keep-alive, from the connect call) to the answer's
 * end, in fractions of a millisecond. Failures: errors, resets, and answers other than 200.
 */
export async function httpLoad(port, { durationS, keepAlive, connections = 10 }) {
  const latencies = [];
  let errors = 0;
  const deadline = performance.now() + durationS * 1000;
  const payload = request(keepAlive);
  const client = (resolve) => {
    let t0 = performance.now();
    let answered = false;
    const socket = connect(port, "127.0.0.1");
    socket.setNoDelay(true);
    const send = () => {
      t0 = performance.now();
      socket.write(payload);
    };
    socket.on(
      "data",
      answerReader((status) => {
        if (status === 200) latencies.push(performance.now() - t0);
        else errors++;
        answered = true;
        if (keepAlive && performance.now() < deadline) send();
        else if (keepAlive) socket.end();
      }),
    );
    socket.on("connect", () => (keepAlive ? send() : socket.write(payload)));
    socket.on("error", () => {});
    socket.on("close", (hadError) => {
      if (hadError || !answered) errors++;
      if (!keepAlive && performance.now() < deadline) client(resolve);
      else resolve();
    });
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: connections }, () => new Promise(client)));
  return {
    reqPerSec: latencies.length / ((performance.now() - t0) / 1000),
    p50Ms: percentile(latencies, 50),
    p90Ms: percentile(latencies, 90),
    p99Ms: percentile(latencies, 99),
    requests: latencies.length,
    errors,
  };
}
