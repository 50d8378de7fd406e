import type { FastifyInstance, FastifyReply } from "fastify";
import type { CoreFacade } from "../core/facade.ts";
import type { ProcessEntry, Telemetry } from "../core/types.ts";
import type { InstanceContext } from "../instance/instance.ts";
import type { LogEntry, Severity } from "../logs/entry.ts";
import type { EventStream, Subscription } from "./event-stream.ts";
import type { ApiMetrics } from "./metrics.ts";
import type { ProcessListCache } from "./process-list.ts";
import type { RenderGuard } from "./render-guard.ts";
import {
  applicationState as applicationStateSchema,
  authFailures,
  dataOf,
  errorBody,
  ipcBody,
  logBody,
  logEntry,
  logsQuery,
  processEntry,
  processIdParams,
  processStatus,
  reloadQuery,
  reloadResult,
  streamQuery,
  TELEMETRY_BODY_LIMIT,
  telemetry,
} from "./schemas.ts";
import type { ApplicationState } from "./state.ts";
import { allows, boundProcess, type Caller } from "./tokens.ts";

/** The IPC target that addresses every process. */
const IPC_EVERYONE = "*";

export interface RouteDeps {
  context: InstanceContext;
  state: () => ApplicationState;
  stream: EventStream;
  metrics: ApiMetrics;
  processList: ProcessListCache;
  guard: RenderGuard;
}

/** What Fastify sends a serialised JSON body as. */
const JSON_TYPE = "application/json; charset=utf-8";

/**
 * Send `payload` serialised by the route's schema, or, if that throws (a process's entry that
 * cannot be written), serialised again after `repair`: one bad entry does not fail the answer.
 */
function sendGuarded<T>(reply: FastifyReply, guard: RenderGuard, payload: T, repair: (payload: T) => T) {
  return reply.type(JSON_TYPE).send(guard.render((p: T) => reply.serialize(p), payload, repair));
}

/** The process actions of `POST /processes/{id}/<action>`, each one call of the facade. */
const ACTIONS: Record<string, { summary: string; run: (s: CoreFacade, id: string) => unknown }> = {
  start: {
    summary: "Start a process (already running: nothing to do). 409 if it is blocked.",
    run: (s, id) => s.startProcess(id),
  },
  stop: {
    summary: "Stop a process and keep it stopped; answers once it has exited.",
    run: (s, id) => s.stopProcess(id),
  },
  restart: {
    summary: "Stop (if running) and start a process. 409 if it is blocked.",
    run: (s, id) => s.restartProcess(id),
  },
  block: {
    summary: "Refuse every start of a process until it is unblocked.",
    run: (s, id) => s.blockProcess(id),
  },
  unblock: {
    summary: "Allow starts again (does not start the process).",
    run: (s, id) => s.unblockProcess(id),
  },
};

const badRequest = { 400: { ...errorBody, description: "malformed request" } };
const unknownProcess = { 404: { ...errorBody, description: "no process with this id" } };

/** Every route of SPEC §5.2; registered at the root and again under /api. */
export function registerRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { context, state, stream, metrics, processList, guard } = deps;
  const { core: supervisor, logger } = context;

  app.get(
    "/processes",
    {
      config: { scope: "read" },
      schema: {
        summary: "Every process with its status and configuration: cluster entries, then their instances.",
        response: { 200: dataOf({ type: "array", items: processEntry }, "the processes"), ...authFailures },
      },
    },
    // Serialised by the route's own serializer, once per change (see ProcessListCache).
    (_request, reply) => {
      const serialize = (payload: { data: ProcessEntry[] }) =>
        guard.render(
          (p) => reply.serialize(p),
          payload,
          (p) => ({ data: p.data.map(guard.entry) }),
        );
      reply.type(JSON_TYPE).send(processList.get(serialize));
    },
  );

  app.get<{ Params: { id: string } }>(
    "/processes/:id",
    {
      config: { scope: "read" },
      schema: {
        summary: "One process, cluster or cluster instance.",
        params: processIdParams,
        response: { 200: dataOf(processEntry, "the process"), ...authFailures, ...unknownProcess },
      },
    },
    async (request, reply) =>
      sendGuarded(reply, guard, { data: supervisor.get(request.params.id) }, (p) => ({
        data: guard.entry(p.data),
      })),
  );

  for (const [action, { summary, run }] of Object.entries(ACTIONS)) {
    app.post<{ Params: { id: string } }>(
      `/processes/:id/${action}`,
      {
        config: { scope: "control" },
        schema: {
          summary,
          params: processIdParams,
          response: {
            200: dataOf(
              { type: "array", items: processStatus },
              "the processes the id names, after the action",
            ),
            ...authFailures,
            ...unknownProcess,
            ...(action === "start" || action === "restart"
              ? { 409: { ...errorBody, description: "the process is blocked" } }
              : {}),
          },
        },
      },
      async (request, reply) => {
        const { id } = request.params;
        await run(supervisor, id);
        return sendGuarded(reply, guard, { data: named(supervisor, id) }, (p) => ({
          data: p.data.map(guard.status),
        }));
      },
    );
  }

  app.get(
    "/state",
    {
      config: { scope: "read" },
      schema: {
        summary: "The instance's state and every process's status.",
        response: { 200: dataOf(applicationStateSchema, "the state"), ...authFailures },
      },
    },
    async (_request, reply) =>
      sendGuarded(reply, guard, { data: state() }, (p) => ({ data: guard.state(p.data) })),
  );

  app.post<{ Body: Telemetry }>(
    "/telemetry",
    {
      config: { scope: "telemetry" },
      bodyLimit: TELEMETRY_BODY_LIMIT,
      schema: {
        summary: "Report a process's telemetry; stored as that process's `telemetry`.",
        body: telemetry,
        response: {
          200: dataOf({ type: "null" }, "stored"),
          ...badRequest,
          ...authFailures,
          403: {
            ...errorBody,
            description: "the token is a child's (telemetry-<id>), and the sender is another process",
          },
          404: { ...errorBody, description: "the sender is not a process of this instance" },
        },
      },
    },
    async (request, reply) => {
      const { sender } = request.body;
      const own = boundProcess(request.caller!);
      if (own !== undefined && own.toLowerCase() !== sender.toLowerCase()) {
        return reply
          .code(403)
          .send({ error: `this token reports telemetry for "${own}" only, not "${sender}"` });
      }
      if (!supervisor.setTelemetry(request.body)) {
        return reply.code(404).send({ error: `unknown sender "${sender}"` });
      }
      return { data: null };
    },
  );

  app.post<{ Body: { target: string; event: string; eventData: unknown } }>(
    "/ipc",
    {
      config: { scope: "telemetry" },
      schema: {
        summary:
          'Send an event to another process (or to every one, target "*"): event-stream subscribers ' +
          "receive it as `ipc`, a child's own stream only when it is addressed to that child.",
        body: ipcBody,
        response: {
          200: dataOf({ type: "null" }, "sent"),
          ...badRequest,
          ...authFailures,
          404: { ...errorBody, description: 'the target is neither a process nor "*"' },
        },
      },
    },
    async (request, reply) => {
      const { target, event, eventData } = request.body;
      if (target !== IPC_EVERYONE && (target.toLowerCase() === "all" || !supervisor.has(target))) {
        return reply.code(404).send({ error: `unknown target "${target}": a process id, or "*" for all` });
      }
      supervisor.sendIpc({ sender: request.caller!.consumer, target, event, eventData });
      return { data: null };
    },
  );

  app.post<{ Body: { severity: Severity; plugin: string; message: string } }>(
    "/log",
    {
      config: { scope: "log" },
      schema: {
        summary: "Write an entry to the instance's log, with category api-<plugin>.",
        body: logBody,
        response: { 201: dataOf(logEntry, "the entry written"), ...badRequest, ...authFailures },
      },
    },
    async (request, reply) => {
      const { severity, plugin, message } = request.body;
      const entry: LogEntry = {
        severity,
        category: `api-${plugin}`,
        text: message,
        processId: "core",
        timeStamp: Date.now(),
      };
      logger.write(entry);
      return reply.code(201).send({ data: entry });
    },
  );

  app.get<{
    Querystring: {
      processId?: string;
      severity?: Severity;
      startTimeStamp?: number;
      endTimeStamp?: number;
      nRows: number;
    };
  }>(
    "/logs",
    {
      config: { scope: "read" },
      schema: {
        summary: "Stored log entries, oldest first: the newest nRows that match.",
        querystring: logsQuery,
        response: {
          200: dataOf({ type: "array", items: logEntry }, "the entries"),
          ...badRequest,
          ...authFailures,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const entries = await context.logReader.query({
        processId: q.processId,
        severity: q.severity,
        start: q.startTimeStamp,
        end: q.endTimeStamp,
        limit: q.nRows,
      });
      return { data: entries };
    },
  );

  app.post(
    "/terminate",
    {
      config: { scope: "terminate" },
      schema: {
        summary: "Stop every process and end the instance; answers first.",
        response: { 200: dataOf({ type: "null" }, "terminating"), ...authFailures },
      },
      // Only once the answer is out: terminating closes this server.
      onResponse: async (request) => {
        context.requestTerminate(`POST /terminate by ${request.caller!.consumer}`);
      },
    },
    async () => ({ data: null }),
  );

  app.post<{ Querystring: { dryRun?: boolean } }>(
    "/reload",
    {
      config: { scope: "control" },
      schema: {
        summary:
          "Re-read the configuration file and apply the difference: added processes started by their policy, removed ones stopped, changed ones recreated, the rest untouched. ?dryRun=true only reports it.",
        querystring: reloadQuery,
        response: {
          200: dataOf(reloadResult, "what changed"),
          400: { ...errorBody, description: "the file is invalid (nothing changed), or there is no file" },
          ...authFailures,
          409: { ...errorBody, description: "the instance is terminating" },
        },
      },
    },
    async (request) => ({
      data: await context.reload({
        dryRun: request.query.dryRun === true,
        by: `POST /reload by ${request.caller!.consumer}`,
      }),
    }),
  );

  app.get(
    "/metrics",
    {
      config: { scope: "read" },
      schema: {
        summary:
          "Prometheus metrics: per-process state, restarts, CPU, memory, uptime; API requests; log entries.",
        produces: ["text/plain"],
        response: { 200: { type: "string", description: "Prometheus text format" }, ...authFailures },
      },
    },
    async (_request, reply) => {
      const { contentType, text } = await metrics.scrape();
      return reply.type(contentType).send(text);
    },
  );

  app.route({
    method: "GET",
    url: "/wss",
    config: { scope: ["read", "telemetry"], queryToken: true },
    schema: {
      summary:
        "Event stream (WebSocket): messages {t, d} for log, process_status_changed, process_scheduled, " +
        "process_scheduled_terminate, process_watch, init, process_telemetry, application_state, terminating, ipc. " +
        "The token may also come as ?access_token=. A token without `read` (a child's) receives only the " +
        'ipc events addressed to its process or to "*". The stream closes when the token expires or its ' +
        "consumer is revoked (4401), and when the subscriber falls too far behind (1008).",
      querystring: streamQuery,
      response: {
        101: { description: "switching to the WebSocket protocol", type: "null" },
        ...authFailures,
        426: { ...errorBody, description: "not a WebSocket request" },
      },
    },
    handler: async (_request, reply) =>
      reply
        .code(426)
        .header("upgrade", "websocket")
        .send({ error: "GET /wss is a WebSocket: send an upgrade request" }),
    wsHandler: (socket, request) => stream.add(socket, subscription(request.caller!), request.raw.socket),
  });

  app.get(
    "/openapi.json",
    {
      config: { scope: null },
      schema: {
        summary: "This API's OpenAPI 3.1 description.",
        response: {
          200: { type: "object", additionalProperties: true, description: "the OpenAPI document" },
        },
      },
    },
    async () => app.swagger(),
  );
}

/** What a token may receive on the event stream: everything with `read`; else IPC for its process. */
function subscription(caller: Caller): Subscription {
  const { consumer, expiresAtMs } = caller;
  if (allows(caller, "read")) return { consumer, expiresAtMs };
  return { consumer, expiresAtMs, ipcFor: boundProcess(caller) ?? null };
}

/** The statuses of the processes an id names: all, a cluster with its instances, or one. */
function named(supervisor: CoreFacade, id: string) {
  const key = id.toLowerCase();
  return supervisor
    .list()
    .filter((e) => key === "all" || e.status.id.toLowerCase() === key || e.config.id.toLowerCase() === key)
    .map((e) => e.status);
}
