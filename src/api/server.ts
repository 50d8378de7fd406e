import fastifySwagger from "@fastify/swagger";
import fastifyWebsocket from "@fastify/websocket";
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type onRequestHookHandler,
  type onResponseHookHandler,
} from "fastify";
import { balancersOf } from "../balancer/view.ts";
import { isUserError, UserError } from "../common/errors.ts";
import { dashboardRoutes } from "../dashboard/routes.ts";
import type { InstanceContext } from "../instance/instance.ts";
import { VERSION } from "../version.ts";
import { EventStream, type StreamLimits } from "./event-stream.ts";
import { parseJsonBodies } from "./json-body.ts";
import type { LogEntryCount } from "./log-count.ts";
import { ApiMetrics } from "./metrics.ts";
import { ProcessListCache } from "./process-list.ts";
import { RenderGuard } from "./render-guard.ts";
import { registerRoutes } from "./routes.ts";
import { type ApplicationState, applicationState } from "./state.ts";
import { allows, type Caller, type Scope, TokenError, TokenVerifier } from "./tokens.ts";

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * The scope a token needs for the route (a list: any one of them); null: no token at all
     * (/openapi.json, the dashboard's files).
     */
    scope?: Scope | readonly Scope[] | null;
    /** Whether the token may come as `?access_token=` (the event stream, for browsers). */
    queryToken?: boolean;
  }
  interface FastifyRequest {
    caller?: Caller;
  }
}

const BODY_LIMIT = 1024 * 1024;

export interface ApiServerOptions {
  context: InstanceContext;
  secret: string;
  /** The port the server listens on. */
  port: () => number;
  /** Log entries counted since the instance started. */
  logEntries: LogEntryCount;
  /** This run of the instance: its children's tokens name it, and are refused by any other run. */
  run?: string;
  streamLimits?: StreamLimits;
}

export interface ApiServer {
  /**
   * The app, ready. It does not listen itself: connections accepted elsewhere are handed to it
   * with `app.server.emit("connection", socket)`.
   */
  app: FastifyInstance;
  stream: EventStream;
  metrics: ApiMetrics;
  state: () => ApplicationState;
  /**
   * Refuse these consumers' tokens from now on (the whole `api.revoked` list, as a reload reads
   * it), and close their event streams.
   */
  setRevoked(names: readonly string[]): void;
}

function bearerToken(request: FastifyRequest, queryToken: boolean): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new TokenError("Authorization header must be: Bearer <token>");
    return match[1];
  }
  if (queryToken) {
    const token = (request.query as { access_token?: unknown }).access_token;
    if (typeof token === "string" && token.length > 0) return token;
  }
  return undefined;
}

/**
 * The `onRequest` hook of a route that needs `scope`: a token, verified (or remembered from an
 * earlier request, without a promise), whose scopes include it.
 */
function authenticator(
  verifier: TokenVerifier,
  scope: Scope | readonly Scope[],
  queryToken: boolean,
): onRequestHookHandler {
  const scopes: readonly Scope[] = typeof scope === "string" ? [scope] : scope;
  const needed = scopes.map((s) => `"${s}"`).join(" or ");
  const admit = (request: FastifyRequest, caller: Caller) => {
    if (!scopes.some((s) => allows(caller, s))) {
      throw new UserError(`Forbidden: this token lacks the ${needed} scope`, 403);
    }
    request.caller = caller;
  };
  return (request, _reply, done) => {
    try {
      const token = bearerToken(request, queryToken);
      if (token === undefined) throw new TokenError("Missing token: send Authorization: Bearer <token>");
      const remembered = verifier.remembered(token);
      if (remembered !== undefined) {
        admit(request, remembered);
        done();
        return;
      }
      verifier
        .verify(token)
        .then((caller) => admit(request, caller))
        .then(
          () => done(),
          (err: Error) => done(err),
        );
    } catch (err) {
      done(err as Error);
    }
  };
}

/** `onRequest`/`onResponse` of a route, with one more hook in front. */
function prepend<T>(hook: T, existing: T | T[] | undefined): T[] {
  if (existing === undefined) return [hook];
  return Array.isArray(existing) ? [hook, ...existing] : [hook, existing];
}

/**
 * The REST API as a Fastify app: authentication and scopes from each route's `config.scope`,
 * `{error}` answers for every failure, request counting, and the routes at `/` and under `/api`.
 */
export async function createApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { context, secret } = options;
  const { core: supervisor, logger } = context;
  const verifier = new TokenVerifier(secret, context.config.api?.revoked ?? [], options.run);
  const balancers = () => balancersOf(context)?.stats() ?? [];
  const state = () =>
    applicationState(supervisor, context.startedAt, options.port(), balancers(), logger.health());
  const guard = new RenderGuard((text) => logger.log("error", "rest", text));
  const stream = new EventStream({ supervisor, logger, state, guard, ...options.streamLimits });
  const metrics = new ApiMetrics(supervisor, options.logEntries, stream, balancers, () => logger.health());
  const processList = new ProcessListCache(supervisor);

  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    exposeHeadRoutes: false,
    // Telemetry's extra values are "string, number, boolean or null" (a union of types).
    ajv: { customOptions: { allowUnionTypes: true } },
    // A URL the router cannot read (bad percent-encoding, a parameter too long): {error} too.
    frameworkErrors: (error: FastifyError, _request, reply: FastifyReply) => {
      void reply.code(error.statusCode ?? 400).send({ error: error.message });
    },
  });

  // Each route gets its own hooks, built once from what it declares: its scope's authentication,
  // and the counting of its requests under its URL.
  app.addHook("onRoute", (route) => {
    const scope = route.config?.scope;
    if (scope === undefined) throw new Error(`route ${route.method} ${route.url} declares no scope`);
    if (scope !== null) {
      route.onRequest = prepend(
        authenticator(verifier, scope, route.config?.queryToken === true),
        route.onRequest,
      );
    }
    const url = route.url;
    const count: onResponseHookHandler = (request, reply, done) => {
      metrics.countRequest(request.method, url, reply.statusCode);
      done();
    };
    route.onResponse = prepend(count, route.onResponse);
  });

  app.addHook("onResponse", (request, reply, done) => {
    if (request.is404) metrics.countRequest(request.method, "(no route)", reply.statusCode);
    // An upgrade answered with an HTTP status (401, 403, 404…) leaves its socket to nobody: without
    // this it would stay open, and keep the server from closing.
    if (request.headers.upgrade?.toLowerCase() === "websocket") request.raw.socket?.destroy();
    done();
  });

  parseJsonBodies(app);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isUserError(error)) return reply.code(error.status).send({ error: error.message });
    const status = error.statusCode ?? 500;
    // Validation, malformed JSON, too large a body, wrong media type: the client's mistake.
    if (error.validation || (status >= 400 && status < 500)) {
      return reply.code(error.validation ? 400 : status).send({ error: error.message });
    }
    logger.log("error", "rest", `${request.method} ${request.url} failed: ${error.stack ?? error.message}`);
    return reply.code(500).send({ error: `internal error: ${error.message}` });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: `no route ${request.method} ${request.url.split("?")[0]}` });
  });

  await app.register(fastifyWebsocket, {
    // No permessage-deflate: the event stream writes its frames, made once for all, as they are.
    options: { maxPayload: 64 * 1024, perMessageDeflate: false },
    // Subscribers hear why the stream ends (1001, going away) before the server closes.
    preClose(done) {
      stream.close();
      this.websocketServer.close(() => done());
    },
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "pup REST API",
        version: VERSION,
        description:
          "Control and observe a pup instance. Every route is also served under /api. " +
          "Tokens: `pup token --consumer NAME --expire-in SECONDS [--scope LIST]`.",
      },
      servers: [{ url: "/" }, { url: "/api" }],
      components: {
        securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
      },
    },
    transform: ({ schema, url, route }) => {
      // The /api copies are the same operations, described once through `servers`.
      if (url.startsWith("/api/")) return { schema: { ...schema, hide: true }, url };
      const scope = route.config?.scope;
      const named = typeof scope === "string" ? [scope] : (scope ?? []);
      const described = scope
        ? {
            ...schema,
            description: `Needs scope ${named.map((s) => `\`${s}\``).join(" or ")}.`,
            security: [{ bearer: [] }],
          }
        : { ...schema, security: [] };
      return { schema: described, url };
    },
  });
  const deps = { context, state, stream, metrics, processList, guard };
  await app.register(async (scope) => registerRoutes(scope, deps));
  await app.register(async (scope) => registerRoutes(scope, deps), { prefix: "/api" });
  await app.register(dashboardRoutes);
  await app.register(dashboardRoutes, { prefix: "/api" });
  await app.ready();
  const setRevoked = (names: readonly string[]) => {
    verifier.setRevoked(names);
    stream.revokeConsumers(names);
  };
  return { app, stream, metrics, state, setRevoked };
}
