import type { FastifyInstance } from "fastify";
import { UserError } from "../common/errors.ts";

/**
 * How deep a request body's arrays and objects may nest. Every body the API takes is a flat
 * object with small values (IPC's `eventData` is the deepest); a deeper one is an attack on the
 * recursive code that reads, stores, renders and streams it, not a request.
 */
const MAX_JSON_DEPTH = 32;

/**
 * Whether `text` (JSON or not) opens more than `limit` arrays or objects inside one another,
 * brackets inside strings aside. One pass over the characters; short texts cannot, and are not
 * scanned.
 */
function jsonNestingExceeds(text: string, limit: number): boolean {
  if (text.length <= limit * 2) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character, a quote too
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

/**
 * JSON bodies as Fastify parses them (prototype poisoning refused), after a check of their
 * nesting: too deep is a 400 before any recursive parser or validator sees it.
 */
export function parseJsonBodies(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    if (jsonNestingExceeds(body as string, MAX_JSON_DEPTH)) {
      done(new UserError(`JSON body nested deeper than ${MAX_JSON_DEPTH} levels`, 400), undefined);
      return;
    }
    parse(request, body as string, done);
  });
}
