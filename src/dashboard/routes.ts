import { readFileSync } from "node:fs";
import path from "node:path";
import type {} from "@fastify/swagger";
import type { FastifyInstance } from "fastify";
import { PACKAGE_ROOT } from "../common/package-root.ts";

/** The dashboard's files: static, with no data in them (the page fetches data with a token). */
const PUBLIC = path.join(PACKAGE_ROOT, "src", "dashboard", "public");
/** The files and their types: a Map, so that a name like `__proto__` or `constructor` is not one. */
const FILES = new Map<string, string>([
  ["index.html", "text/html; charset=utf-8"],
  ["app.js", "text/javascript; charset=utf-8"],
  ["style.css", "text/css; charset=utf-8"],
]);

const cache = new Map<string, Buffer>();
function asset(name: string): Buffer {
  let content = cache.get(name);
  if (!content) {
    content = readFileSync(path.join(PUBLIC, name));
    cache.set(name, content);
  }
  return content;
}

/** GET /dashboard/ and its files, served without a token. */
export async function dashboardRoutes(app: FastifyInstance): Promise<void> {
  app.get("/dashboard", { schema: { hide: true }, config: { scope: null } }, (request, reply) => {
    reply.redirect(`${request.url.split("?")[0]}/`);
  });
  app.get("/dashboard/", { schema: { hide: true }, config: { scope: null } }, (_request, reply) => {
    reply.type(FILES.get("index.html")!).header("cache-control", "no-cache").send(asset("index.html"));
  });
  app.get<{ Params: { file: string } }>(
    "/dashboard/:file",
    { schema: { hide: true }, config: { scope: null } },
    (request, reply) => {
      const type = FILES.get(request.params.file);
      if (!type) {
        reply.code(404).send({ error: "not found" });
        return;
      }
      reply.type(type).header("cache-control", "no-cache").send(asset(request.params.file));
    },
  );
}
