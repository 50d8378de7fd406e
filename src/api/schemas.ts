/**
 * JSON Schemas of the API's requests and answers: Fastify validates and serialises with them,
 * and /openapi.json is generated from them.
 */
import { STRATEGIES } from "../config/schema.ts";
import { SEVERITIES } from "../logs/entry.ts";

const isoTime = { type: "string", format: "date-time" } as const;
const anyObject = { type: "object", additionalProperties: true } as const;

export const errorBody = {
  type: "object",
  properties: { error: { type: "string" } },
  required: ["error"],
  description: "what went wrong",
} as const;

const memoryNumber = { type: "number", minimum: 0 } as const;

/** A value a telemetry report may carry beside its four fields: small and shallow. */
const extraScalar = { type: ["string", "number", "boolean", "null"], maxLength: 1024 } as const;
const extraValue = {
  anyOf: [
    extraScalar,
    { type: "array", items: extraScalar, maxItems: 32 },
    { type: "object", additionalProperties: extraScalar, maxProperties: 32 },
  ],
} as const;

/** Keys a telemetry report may carry beyond sender, memory, sent and cwd. */
const TELEMETRY_EXTRA_KEYS = 16;

export const telemetry = {
  type: "object",
  properties: {
    sender: { type: "string", minLength: 1, maxLength: 64, description: "the sending process's id" },
    memory: {
      type: "object",
      description: "the process's memory usage in bytes (process.memoryUsage(): more numbers may follow)",
      properties: {
        rss: memoryNumber,
        heapTotal: memoryNumber,
        heapUsed: memoryNumber,
        external: memoryNumber,
      },
      required: ["rss", "heapTotal", "heapUsed", "external"],
      additionalProperties: memoryNumber,
      maxProperties: 16,
    },
    sent: { type: "string", maxLength: 64, description: "when the process sent it (ISO 8601)" },
    cwd: { type: "string", maxLength: 4096 },
  },
  required: ["sender", "memory", "sent", "cwd"],
  description:
    `Up to ${TELEMETRY_EXTRA_KEYS} more keys may come along, each a string (at most 1024 characters), ` +
    "number, boolean or null, or a list or object of up to 32 of those.",
  additionalProperties: extraValue,
  maxProperties: 4 + TELEMETRY_EXTRA_KEYS,
} as const;

/** A telemetry report is a few hundred bytes; this leaves room for every extra key allowed. */
export const TELEMETRY_BODY_LIMIT = 64 * 1024;

export const processStatus = {
  type: "object",
  properties: {
    id: { type: "string" },
    type: { type: "string", enum: ["process", "worker", "cluster"] },
    status: {
      type: "integer",
      description:
        "CREATED 0, STARTING 100, RUNNING 200, STOPPING 250, FINISHED 300, ERRORED 400, EXHAUSTED 450, MIXED 500",
    },
    code: { type: "integer" },
    signal: { type: "string" },
    pid: { type: "integer" },
    started: isoTime,
    exited: isoTime,
    blocked: { type: "boolean" },
    restarts: { type: "integer" },
    updated: isoTime,
    pendingRestartReason: { type: "string" },
    nextRestart: { ...isoTime, description: "when the pending automatic restart is due" },
    health: {
      type: "string",
      enum: ["starting", "healthy", "unhealthy"],
      description: "with a healthcheck, while running (a cluster: the worst of its instances)",
    },
    telemetry: anyObject,
    cpu: { type: "number", description: "percent of one core, the process and its descendants" },
    rss: { type: "integer", description: "resident memory in bytes, the process and its descendants" },
  },
  required: ["id", "type", "status", "blocked", "restarts", "updated"],
} as const;

export const processEntry = {
  type: "object",
  properties: {
    status: processStatus,
    config: { ...anyObject, description: "the process's configuration, as in pup.json" },
  },
  required: ["status", "config"],
} as const;

const balancerBackend = {
  type: "object",
  properties: {
    name: { type: "string", description: "the cluster instance's id" },
    port: { type: "integer" },
    running: { type: "boolean" },
    up: { type: "boolean", description: "its last connection attempt succeeded" },
    healthy: { type: "boolean", description: "its health check passes (true without one)" },
    drained: { type: "boolean", description: "taken out of rotation (rolling restart)" },
    inRotation: { type: "boolean", description: "gets new connections: running, healthy, not drained" },
    open: { type: "integer", description: "connections open now" },
    total: { type: "integer", description: "connections it accepted" },
    failed: { type: "integer", description: "attempts refused, timed out or closed before answering" },
  },
  required: ["name", "port", "running", "up", "healthy", "drained", "inRotation", "open", "total", "failed"],
} as const;

const balancer = {
  type: "object",
  properties: {
    process: { type: "string", description: "the cluster's id" },
    port: { type: "integer", description: "its commonPort" },
    strategy: { type: "string", enum: [...STRATEGIES] },
    held: { type: "integer", description: "clients waiting for an instance to return to rotation" },
    dropped: { type: "integer", description: "clients closed without an answer" },
    backends: { type: "array", items: balancerBackend },
  },
  required: ["process", "port", "strategy", "held", "dropped", "backends"],
} as const;

const sinkHealth = {
  type: "object",
  properties: {
    sink: { type: "string", enum: ["store", "file"] },
    path: { type: "string" },
    ok: { type: "boolean" },
    error: { type: "string", description: "what fails, while it fails" },
    since: { ...isoTime, description: "when it started failing" },
    dropped: { type: "integer", description: "entries it could not keep, since the instance started" },
  },
  required: ["sink", "path", "ok", "dropped"],
} as const;

export const applicationState = {
  type: "object",
  properties: {
    pid: { type: "integer" },
    version: { type: "string" },
    status: { type: "string" },
    updated: isoTime,
    started: isoTime,
    memory: {
      type: "object",
      properties: {
        rss: { type: "integer" },
        heapTotal: { type: "integer" },
        heapUsed: { type: "integer" },
        external: { type: "integer" },
      },
    },
    port: { type: "integer" },
    systemMemory: {
      type: "object",
      description: "bytes",
      properties: Object.fromEntries(
        ["total", "free", "available", "buffers", "cached", "swapTotal", "swapFree"].map((k) => [
          k,
          { type: "integer" },
        ]),
      ),
    },
    loadAvg: { type: "array", items: { type: "number" }, minItems: 3, maxItems: 3 },
    osUptime: { type: "number", description: "seconds" },
    osRelease: { type: "string" },
    runtime: { type: "string" },
    type: { type: "string", const: "main" },
    processes: { type: "array", items: processStatus },
    balancers: {
      type: "array",
      items: balancer,
      description: "the load balancers of clusters with a commonPort (absent when there are none)",
    },
    logging: {
      type: "object",
      description: "the log store (absent when there is none) and the log files, with failures and drops",
      properties: { store: sinkHealth, files: { type: "array", items: sinkHealth } },
      required: ["files"],
    },
  },
  required: [
    "pid",
    "version",
    "status",
    "updated",
    "started",
    "memory",
    "port",
    "systemMemory",
    "loadAvg",
    "osUptime",
    "osRelease",
    "runtime",
    "type",
    "processes",
  ],
} as const;

export const logEntry = {
  type: "object",
  properties: {
    severity: { type: "string", enum: [...SEVERITIES] },
    category: { type: "string" },
    text: { type: "string" },
    processId: { type: "string" },
    timeStamp: { type: "integer", description: "ms since the epoch" },
  },
  required: ["severity", "category", "text", "processId", "timeStamp"],
} as const;

export const processIdParams = {
  type: "object",
  properties: {
    id: { type: "string", description: 'a process id, a cluster id (all its instances) or "all"' },
  },
  required: ["id"],
} as const;

export const ipcBody = {
  type: "object",
  properties: {
    target: { type: "string", minLength: 1, description: "the process meant to receive it" },
    event: { type: "string", minLength: 1 },
    eventData: { description: "anything JSON" },
  },
  required: ["target", "event", "eventData"],
} as const;

export const logBody = {
  type: "object",
  properties: {
    severity: { type: "string", enum: [...SEVERITIES] },
    plugin: {
      type: "string",
      pattern: "^[a-zA-Z0-9@._-]{1,64}$",
      description: "who writes, a name (1–64 of a-z A-Z 0-9 @ . _ -); stored as category api-<plugin>",
    },
    message: { type: "string" },
  },
  required: ["severity", "plugin", "message"],
} as const;

const MAX_LOG_ROWS = 10_000;

export const logsQuery = {
  type: "object",
  properties: {
    processId: { type: "string" },
    severity: { type: "string", enum: [...SEVERITIES] },
    startTimeStamp: { type: "integer", description: "ms since the epoch, inclusive" },
    endTimeStamp: { type: "integer", description: "ms since the epoch, inclusive" },
    nRows: { type: "integer", minimum: 1, maximum: MAX_LOG_ROWS, default: 100 },
  },
  additionalProperties: false,
} as const;

export const streamQuery = {
  type: "object",
  properties: {
    access_token: { type: "string", description: "the token, for clients that cannot set headers" },
  },
} as const;

/** `{data: …}` around a schema. */
export function dataOf(schema: object, description: string) {
  return { type: "object", properties: { data: schema }, required: ["data"], description } as const;
}

/** The failures every authenticated route may answer, besides its own. */
export const authFailures = {
  401: { ...errorBody, description: "no token, or a token that is invalid, expired or revoked" },
  403: { ...errorBody, description: "the token lacks the route's scope" },
} as const;

const ids = (description: string) => ({ type: "array", items: { type: "string" }, description }) as const;

/** What a reload did (SPEC §8.6). */
export const reloadResult = {
  type: "object",
  properties: {
    added: ids("processes created (and started by their start policy)"),
    removed: ids("processes stopped and dropped"),
    changed: ids("processes stopped and recreated (started again if running or autostarted)"),
    unchanged: ids("processes not touched"),
    notApplied: ids("changed keys that take effect only when the instance restarts"),
  },
  required: ["added", "removed", "changed", "unchanged", "notApplied"],
} as const;

export const reloadQuery = {
  type: "object",
  properties: {
    dryRun: { type: "boolean", description: "only validate and report the difference; change nothing" },
  },
} as const;
