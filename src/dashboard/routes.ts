import { readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import type {} from "@fastify/swagger";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { PACKAGE_ROOT } from "../common/package-root.ts";

/**
 * The dashboard's files, built by `npm run build` (scripts/bundle.js) from src/dashboard/ui: static,
 * with no data in them (the page fetches data with a token).
 */
const BUILT = path.join(PACKAGE_ROOT, "dist", "dashboard", "public");
/** The files and their types: a Map, so that a name like `__proto__` or `constructor` is not one. */
const FILES = new Map<string, string>([
  ["index.html", "text/html; charset=utf-8"],
  ["app.js", "text/javascript; charset=utf-8"],
  ["app.css", "text/css; charset=utf-8"],
]);

/**
 * The page talks to this instance only: no other host for scripts, styles, images or connections
 * (uPlot sets inline styles on its elements, hence 'unsafe-inline' for styles alone).
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

interface Asset {
  raw: Buffer;
  gzip: Buffer;
}

const cache = new Map<string, Asset>();
function asset(name: string): Asset {
  let content = cache.get(name);
  if (!content) {
    const raw = readFileSync(path.join(BUILT, name));
    content = { raw, gzip: gzipSync(raw, { level: 9 }) };
    cache.set(name, content);
  }
  return content;
}

function send(request: FastifyRequest, reply: FastifyReply, name: string): void {
  let content: Asset;
  try {
    content = asset(name);
  } catch {
    reply.code(500).send({ error: "the dashboard is not built: run npm run build" });
    return;
  }
  reply
    .type(FILES.get(name)!)
    .header("cache-control", "no-cache")
    .header("content-security-policy", CONTENT_SECURITY_POLICY)
    .header("x-content-type-options", "nosniff")
    .header("vary", "accept-encoding");
  if (/\bgzip\b/.test(String(request.headers["accept-encoding"] ?? ""))) {
    reply.header("content-encoding", "gzip").send(content.gzip);
  } else {
    reply.send(content.raw);
  }
}

/** GET /dashboard/ and its files, served without a token. */
export async function dashboardRoutes(app: FastifyInstance): Promise<void> {
  app.get("/dashboard", { schema: { hide: true }, config: { scope: null } }, (request, reply) => {
    reply.redirect(`${request.url.split("?")[0]}/`);
  });
  app.get("/dashboard/", { schema: { hide: true }, config: { scope: null } }, (request, reply) => {
    send(request, reply, "index.html");
  });
  app.get<{ Params: { file: string } }>(
    "/dashboard/:file",
    { schema: { hide: true }, config: { scope: null } },
    (request, reply) => {
      if (!FILES.has(request.params.file)) {
        reply.code(404).send({ error: "not found" });
        return;
      }
      send(request, reply, request.params.file);
    },
  );
}
