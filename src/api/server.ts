import fastifySwagger from "@fastify/swagger";
import fastifyWebsocket from "@fastify/websocket";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from "fastify";
import { isUserError, UserError } from "../common/errors.ts";
import { dashboardRoutes } from "../dashboard/routes.ts";
import type { InstanceContext } from "../instance/instance.ts";
import { VERSION } from "../version.ts";
import { EventStream } from "./event-stream.ts";
import { ApiMetrics } from "./metrics.ts";
import { registerRoutes } from "./routes.ts";
import { type ApplicationState, applicationState } from "./state.ts";
import { allows, type Caller, type Scope, TokenError, verifyToken } from "./tokens.ts";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The scope a token needs for the route; null: no token at all (only /openapi.json). */
    scope?: Scope | null;
    /** Whether the token may come as `?access_token=` (the event stream, for browsers). */
    queryToken?: boolean;
  }
  interface FastifyRequest {
    caller?: Caller;
  }
}

export const BODY_LIMIT = 1024 * 1024;

export interface ApiServerOptions {
  context: InstanceContext;
  secret: string;
  /** The port the server listens on, once it does. */
  port: () => number;
}

export interface ApiServer {
  app: FastifyInstance;
  stream: EventStream;
  metrics: ApiMetrics;
  state: () => ApplicationState;
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new TokenError("Authorization header must be: Bearer <token>");
    return match[1];
  }
  if (request.routeOptions.config.queryToken) {
    const token = (request.query as { access_token?: unknown }).access_token;
    if (typeof token === "string" && token.length > 0) return token;
  }
  return undefined;
}

/**
 * The REST API as a Fastify app: authentication and scopes from each route's `config.scope`,
 * `{error}` answers for every failure, request counting, and the routes at `/` and under `/api`.
 */
export async function createApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { context, secret } = options;
  const { supervisor, logger } = context;
  const revoked = context.config.api?.revoked ?? [];
  const state = () => applicationState(supervisor, context.startedAt, options.port());
  const stream = new EventStream({ supervisor, logger, state });
  const metrics = new ApiMetrics(supervisor, logger, () => stream.size);

  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    exposeHeadRoutes: false,
    forceCloseConnections: true,
  });

  app.addHook("onRoute", (route) => {
    if (route.config?.scope === undefined) {
      throw new Error(`route ${route.method} ${route.url} declares no scope`);
    }
  });

  app.addHook("onRequest", async (request) => {
    if (request.is404) return;
    const scope = request.routeOptions.config.scope;
    if (scope === null || scope === undefined) return;
    const token = bearerToken(request);
    if (token === undefined) throw new TokenError("Missing token: send Authorization: Bearer <token>");
    const caller = await verifyToken(secret, token, revoked);
    if (!allows(caller, scope)) {
      throw new UserError(`Forbidden: this token lacks the "${scope}" scope`, 403);
    }
    request.caller = caller;
  });

  app.addHook("onResponse", async (request, reply) => {
    metrics.countRequest(request.method, request.routeOptions.url ?? "(no route)", reply.statusCode);
    // An upgrade answered with an HTTP status (401, 403, 404…) leaves its socket to nobody: without
    // this it would stay open, and keep the server from closing.
    if (request.headers.upgrade?.toLowerCase() === "websocket") request.raw.socket?.destroy();
  });

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
    options: { maxPayload: 64 * 1024 },
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
      const described = scope
        ? {
            ...schema,
            description: `Needs scope \`${scope}\`.`,
            security: [{ bearer: [] }],
          }
        : { ...schema, security: [] };
      return { schema: described, url };
    },
  });
  const deps = { context, state, stream, metrics };
  await app.register(async (scope) => registerRoutes(scope, deps));
  await app.register(async (scope) => registerRoutes(scope, deps), { prefix: "/api" });
  await app.register(dashboardRoutes);
  await app.register(dashboardRoutes, { prefix: "/api" });
  app.addHook("onClose", async () => metrics.close());
  return { app, stream, metrics, state };
}
