import { banner, cell, code, escapeHtml, table } from "./markdown.ts";

/* docs/api.md from the OpenAPI document the API serves: every route, scope, status and body. */

// biome-ignore lint/suspicious/noExplicitAny: OpenAPI nodes are plain JSON
type Node = Record<string, any>;

const INDENT = "  ";

/** A JSON Schema as a TypeScript-like type, with descriptions as comments. */
export function typeText(schema: Node, depth = 0): string {
  if (schema.enum) return schema.enum.map((v: unknown) => JSON.stringify(v)).join(" | ");
  if (schema.anyOf || schema.oneOf)
    return (schema.anyOf ?? schema.oneOf).map((s: Node) => typeText(s, depth)).join(" | ");
  if (schema.type === "array") return `Array<${typeText(schema.items ?? {}, depth)}>`;
  if (schema.type === "object" && schema.properties) {
    const pad = INDENT.repeat(depth + 1);
    const required = new Set<string>(schema.required ?? []);
    const entries = Object.entries<Node>(schema.properties);
    // `{ error: string }`: a few plain fields fit on one line.
    if (
      entries.length <= 3 &&
      entries.every(([, s]) => !s.description && !s.properties && s.type !== "array")
    ) {
      const fields = entries.map(
        ([key, s]) => `${key}${required.has(key) ? "" : "?"}: ${typeText(s, depth + 1)}`,
      );
      return `{ ${fields.join("; ")} }`;
    }
    const fields = entries.map(([key, s]) => {
      const comment = s.description && !(s.type === "object" && s.properties) ? ` // ${s.description}` : "";
      return `${pad}${key}${required.has(key) ? "" : "?"}: ${typeText(s, depth + 1)};${comment}`;
    });
    return `{\n${fields.join("\n")}\n${INDENT.repeat(depth)}}`;
  }
  if (schema.type === "object") return "object";
  if (Array.isArray(schema.type)) return schema.type.join(" | ");
  const format = schema.format ? ` (${schema.format})` : "";
  return schema.type ? `${schema.type}${format}` : "any";
}

function bodyOf(content: Node | undefined): { type: string; schema?: Node } | undefined {
  if (!content) return undefined;
  const [type, media] = Object.entries<Node>(content)[0] ?? [];
  return type ? { type, schema: media.schema } : undefined;
}

function parameters(op: Node): string {
  const rows = op.parameters.map((p: Node) => {
    const limits = [
      p.schema?.default !== undefined ? `default ${p.schema.default}` : "",
      p.schema?.minimum !== undefined ? `min ${p.schema.minimum}` : "",
      p.schema?.maximum !== undefined ? `max ${p.schema.maximum}` : "",
    ].filter(Boolean);
    return [
      code(p.name),
      p.in,
      typeText(p.schema ?? {}),
      p.required ? "yes" : "no",
      [p.description, ...limits].filter(Boolean).join("; "),
    ];
  });
  return `${table(["parameter", "in", "type", "required", "meaning"], rows)}\n`;
}

/** A body: inline when it fits on a line, else a code block. */
function bodyText(schema: Node | undefined, mediaType: string): string {
  if (!schema) return "";
  const text = typeText(schema);
  if (mediaType !== "application/json") return `${mediaType}`;
  return text.includes("\n") ? `\n\n\`\`\`ts\n${text}\n\`\`\`\n` : ` ${code(text)}`;
}

function operation(method: string, route: string, op: Node): string {
  const scope = /scope `(\w+)`/.exec(op.description ?? "")?.[1];
  const parts = [
    `### ${code(`${method.toUpperCase()} ${route}`)}\n`,
    `${escapeHtml(op.summary ?? "")}\n`,
    `Scope: ${scope ? code(scope) : "none (no token needed)"}.\n`,
  ];
  if (op.parameters?.length) parts.push(parameters(op));
  const request = bodyOf(op.requestBody?.content);
  if (request)
    parts.push(`Request body (${request.type}):${bodyText(request.schema, request.type).trimEnd()}\n`);
  for (const [status, response] of Object.entries<Node>(op.responses ?? {})) {
    const body = bodyOf(response.content);
    const shown = body ? bodyText(body.schema, body.type) : " no body";
    parts.push(`- **${status}** ${cell(response.description ?? "")}:${shown}`);
  }
  return `${parts.join("\n")}\n`;
}

export function renderApi(doc: Node): string {
  const info = doc.info ?? {};
  const intro = [
    banner(
      "REST API reference",
      "the route schemas in src/api/ (the OpenAPI document served at GET /openapi.json)",
    ),
    `${info.description ?? ""}\n`,
    'Requests and answers are JSON: a success is `{ "data": … }` (or no body where noted), a failure ' +
      '`{ "error": "<message>" }`. Every route is also served under `/api` (`GET /api/processes`). ' +
      "Send the token as `Authorization: Bearer <token>`; a token without scopes has all of them.\n",
  ];
  const routes: string[] = [];
  for (const [route, methods] of Object.entries<Node>(doc.paths ?? {})) {
    for (const [method, op] of Object.entries<Node>(methods)) routes.push(operation(method, route, op));
  }
  return [...intro, "## Routes\n", ...routes].join("\n");
}
