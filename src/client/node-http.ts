import { request as httpRequest } from "node:http";
import type { HttpRequest, HttpResponse, HttpTransport } from "./client.ts";

/**
 * The client's transport over `node:http`, for short-lived Node.js programs like the CLI: it loads
 * in a few milliseconds where the first `fetch` costs tens (undici), and it opens one connection
 * per request (no keep-alive pool), so nothing stays open once the answer is read.
 */
export const nodeHttpTransport: HttpTransport = async (req) => {
  const url = new URL(req.url);
  const send = url.protocol === "https:" ? (await import("node:https")).request : httpRequest;
  return new Promise<HttpResponse>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const settle = (err: Error | undefined, response?: HttpResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        outgoing.destroy();
        reject(err);
      } else {
        resolve(response!);
      }
    };
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body !== undefined) headers["content-length"] = Buffer.byteLength(req.body);
    const outgoing = send(url, { method: req.method, headers, agent: false }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
      incoming.on("end", () =>
        settle(undefined, { status: incoming.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
      );
      incoming.on("error", (err) => settle(err));
      // The connection broke in the middle of the answer (a no-op once "end" has settled).
      incoming.on("close", () => {
        if (!incoming.complete) settle(Object.assign(new Error("connection reset"), { code: "ECONNRESET" }));
      });
    });
    outgoing.on("error", (err) => settle(err));
    if (req.timeoutMs > 0) timer = setTimeout(() => settle(timeoutError(req)), req.timeoutMs);
    outgoing.end(req.body);
  });
};

function timeoutError(req: HttpRequest): Error {
  const err = new Error(`${req.method} ${req.url}: no answer within ${req.timeoutMs} ms`);
  err.name = "TimeoutError";
  return err;
}
