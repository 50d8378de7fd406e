import { Cron } from "croner";
import { z } from "zod";
import { DEFAULT_TERMINATE_GRACE_PERIOD, DEFAULT_TERMINATE_TIMEOUT } from "./defaults.ts";
import { dependencyProblems } from "./dependencies.ts";
import { idClashes, isReservedId } from "./identity.ts";

/**
 * The single definition of pup's configuration format. The TypeScript types, the validator and
 * the published JSON Schema (docs/pup.schema.json) are all derived from these objects.
 */

const NAME_PATTERN = /^[a-zA-Z0-9@._-]{1,64}$/;

const identifier = (what: string) =>
  z
    .string()
    .regex(NAME_PATTERN, `expected a ${what} of 1 to 64 characters from a-z A-Z 0-9 @ . _ -`)
    .describe(`${what}: 1 to 64 characters from a-z A-Z 0-9 @ . _ -`);

/** A cron expression of 5 fields (minute first) or 6 fields (seconds first). */
export function cronProblem(pattern: string): string | undefined {
  const fields = pattern.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) return `expected a cron expression of 5 or 6 fields, got ${fields}`;
  let job: Cron;
  try {
    job = new Cron(pattern, { paused: true });
  } catch (err) {
    return `invalid cron expression "${pattern}": ${(err as Error).message}`;
  }
  const next = job.nextRun();
  job.stop();
  return next === null ? `cron expression "${pattern}" never fires` : undefined;
}

const cronExpression = z
  .string()
  .superRefine((value, ctx) => {
    const problem = cronProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .describe("cron expression: 5 fields, or 6 with seconds first");

const seconds = (what: string) => z.number().min(0).describe(`${what}, in seconds`);

/** Text handed to the operating system (a command, a path, a variable): a NUL byte cannot pass. */
const systemText = (description: string) =>
  z
    .string()
    .refine((value) => !value.includes("\0"), "must not contain a NUL character")
    .describe(description);

const milliseconds = (description: string) => z.number().int().min(0).describe(description);

/** `host:port`, where the port may be `{port}` (the cluster instance's own port). */
const TCP_TARGET = /^(\[[0-9a-fA-F:.]+\]|[^\s:/]+):(\{port\}|[0-9]{1,5})$/;

export const healthcheckSchema = z
  .strictObject({
    http: z
      .string()
      .refine((value) => {
        try {
          const url = new URL(value.replaceAll("{port}", "1"));
          return url.protocol === "http:" || url.protocol === "https:";
        } catch {
          return false;
        }
      }, "expected an http:// or https:// URL ({port} stands for the instance's port)")
      .optional()
      .describe("probe: a GET to this URL answered 2xx/3xx within timeoutMs; {port} is PUP_CLUSTER_PORT"),
    tcp: z
      .string()
      .regex(TCP_TARGET, 'expected "host:port" ({port} stands for the instance\'s port)')
      .optional()
      .describe(
        'probe: a TCP connection to "host:port" accepted within timeoutMs; {port} is PUP_CLUSTER_PORT',
      ),
    cmd: systemText(
      "probe: a command that exits 0 within timeoutMs (run in the process's cwd and environment)",
    )
      .refine((value) => value.trim() !== "", "must not be blank")
      .optional(),
    intervalMs: z.number().int().min(100).default(10_000).describe("time between probes, ms (default 10000)"),
    timeoutMs: z
      .number()
      .int()
      .min(1)
      .default(3000)
      .describe("a probe that takes longer fails, ms (default 3000)"),
    retries: z
      .number()
      .int()
      .min(1)
      .default(3)
      .describe("consecutive failures that make the process unhealthy (default 3)"),
    startPeriodMs: milliseconds("failures in this long after a start do not count, ms (default 0)").default(
      0,
    ),
    restart: z.boolean().default(true).describe("restart the process when it turns unhealthy (default true)"),
  })
  .superRefine((value, ctx) => {
    const probes = [value.http, value.tcp, value.cmd].filter((p) => p !== undefined).length;
    if (probes !== 1) {
      ctx.addIssue({
        code: "custom",
        message: `exactly one of "http", "tcp" and "cmd" is required, got ${probes === 0 ? "none" : probes}`,
      });
    }
  })
  .describe(
    "health checks: how pup probes that the process works; exactly one of http, tcp and cmd (default: none)",
  );

const rotation = {
  maxFileSizeMb: z
    .number()
    .min(0)
    .optional()
    .describe("rotate a log file when it grows past this many MiB; 0 disables rotation (default 50)"),
  maxFiles: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("rotated log files to keep beside the current one (default 10)"),
};

export const processLoggerSchema = z
  .strictObject({
    console: z
      .boolean()
      .optional()
      .describe("echo this process's entries to the instance's console (default true)"),
    stdout: z.string().optional().describe("append this process's entries to this file (default: none)"),
    stderr: z
      .string()
      .optional()
      .describe("file for this process's error entries (default: the stdout file)"),
    decorateFiles: z
      .boolean()
      .optional()
      .describe("write file lines as <ISO time> [<SEVERITY>] [<id>:<category>] <text> (default false)"),
    ...rotation,
  })
  .describe("logging of one process (default: to the console and the instance's log store)");

export const globalLoggerSchema = z
  .strictObject({
    console: z.boolean().optional().describe("echo entries to the console (default true)"),
    stdout: z.string().optional().describe("append every entry to this file (default: none)"),
    stderr: z.string().optional().describe("file for error entries (default: the stdout file)"),
    decorate: z
      .boolean()
      .optional()
      .describe("console lines as <ISO time> [<SEVERITY>] [<id>:<category>] <text> (default true)"),
    colors: z
      .boolean()
      .optional()
      .describe("colour console lines; never without a TTY or with NO_COLOR set (default true)"),
    decorateFiles: z
      .boolean()
      .optional()
      .describe("decorate file lines too (default: the value of decorate)"),
    internalLogHours: z
      .number()
      .min(0)
      .optional()
      .describe("hours to keep entries in the log store; 0 disables the store (default 48)"),
    maxStoreMb: z
      .number()
      .min(0)
      .optional()
      .describe(
        "size limit of the log store in MiB, beyond which the oldest entries go; 0: no limit (default 512)",
      ),
    ...rotation,
  })
  .describe("logging of the instance (default: decorated, coloured console lines and a 48-hour log store)");

/** How a cluster's load balancer picks an instance. */
export const STRATEGIES = ["round-robin", "least-connections", "ip-hash"] as const;
export type Strategy = (typeof STRATEGIES)[number];

export const clusterSchema = z
  .strictObject({
    instances: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .default(1)
      .describe("copies of the process to run, with ids <id>-1 … <id>-n (default 1)"),
    startPort: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe(
        "instance n (0-based) gets PUP_CLUSTER_PORT = startPort + n, and PORT the same unless env sets it (default: none)",
      ),
    commonPort: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe(
        "port of the load balancer in front of the instances, on every interface (0.0.0.0); requires startPort (default: none)",
      ),
    strategy: z
      .enum(STRATEGIES)
      .default("round-robin")
      .describe('how the load balancer picks an instance (default "round-robin")'),
  })
  .superRefine((value, ctx) => {
    if (value.commonPort !== undefined && value.startPort === undefined) {
      ctx.addIssue({ code: "custom", path: ["commonPort"], message: "commonPort requires startPort" });
    }
  })
  .describe("run several instances of the process (default: one, without a load balancer)");

export const processSchema = z
  .strictObject({
    id: identifier("process id"),
    cmd: systemText(
      "command line, run by a shell (&&, pipes, quotes, $VAR work); exactly one of cmd and worker",
    )
      .refine((value) => value.trim() !== "", "must not be blank")
      .optional(),
    worker: z
      .union([z.string().min(1), z.array(z.string()).min(1)], {
        error: 'expected a file name or an array ["file.js", ...args]',
      })
      .transform((value) => (typeof value === "string" ? [value] : value))
      .optional()
      .describe(
        'a JavaScript/TypeScript file run as a worker thread of the instance: "file.js", or ["file.js", ...args]; exactly one of cmd and worker',
      ),
    cwd: systemText("working directory (default: the configuration's folder)").optional(),
    env: z
      .record(
        z.string().regex(/^[^=\0]+$/, 'a variable name must not be empty nor contain "=" or a NUL character'),
        systemText("value"),
      )
      .optional()
      .describe(
        "variables added to the inherited environment; they override it, except PATH, which is appended",
      ),
    path: systemText("a folder appended to PATH").optional(),
    pidFile: z
      .string()
      .optional()
      .describe("file that holds the child's pid while it runs (removed when it exits)"),
    timeout: z
      .number()
      .min(1)
      .optional()
      .describe("stop the process when it has run this many seconds (default: no limit)"),
    overrun: z
      .boolean()
      .default(false)
      .describe("allow a new start (cron) while the previous run is still running (default false)"),
    autostart: z
      .boolean()
      .default(false)
      .describe(
        'start when the instance starts; implies restart "always" unless restart is set (default false)',
      ),
    cron: cronExpression
      .optional()
      .describe("start on this cron schedule: 5 fields, or 6 with seconds first (default: none)"),
    watch: z
      .array(z.string())
      .optional()
      .describe(
        'restart when a file under these paths changes (see watcher); implies restart "always" unless restart is set',
      ),
    restart: z
      .enum(["always", "error"])
      .optional()
      .describe(
        'restart after exit: "always", or "error" for a non-zero exit or a signal death only (default: "always" when autostart or watch is set, so a process that exits 0 starts again after restartDelayMs; otherwise none)',
      ),
    restartDelayMs: z
      .number()
      .int()
      .min(0)
      .max(86_400_000)
      .default(10_000)
      .describe("delay before an automatic restart, ms (default 10000)"),
    restartLimit: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe("automatic restarts allowed before the process is EXHAUSTED (default: unlimited)"),
    restartBackoffMaxMs: milliseconds(
      "each consecutive automatic restart doubles the delay from restartDelayMs, up to this many ms (default: no backoff)",
    ).optional(),
    restartResetMs: milliseconds(
      "after this many ms RUNNING (and healthy, if checked), backoff and the restartLimit count start over (default: never)",
    ).optional(),
    healthcheck: healthcheckSchema.optional(),
    maxMemoryMb: z
      .number()
      .positive()
      .optional()
      .describe(
        "restart the process when its memory (with its descendants) stays above this many MiB (default: no limit)",
      ),
    dependsOn: z
      .array(z.string().min(1))
      .optional()
      .describe(
        "ids that must be RUNNING (and healthy, if checked) before this process autostarts (default: none)",
      ),
    terminate: cronExpression
      .optional()
      .describe('stop on this cron schedule; with restart "always" a scheduled restart (default: none)'),
    terminateGracePeriod: seconds("wait for the process to exit by itself before SIGTERM")
      .optional()
      .describe(
        "seconds to wait for the process to exit by itself before SIGTERM (default: the top-level terminateGracePeriod)",
      ),
    terminateTimeout: seconds("after SIGTERM, wait this long before SIGKILL")
      .optional()
      .describe("seconds to wait after SIGTERM before SIGKILL (default: the top-level terminateTimeout)"),
    logger: processLoggerSchema.optional(),
    cluster: clusterSchema.optional(),
  })
  .superRefine((value, ctx) => {
    const both = value.cmd !== undefined && value.worker !== undefined;
    const neither = value.cmd === undefined && value.worker === undefined;
    if (both || neither) {
      ctx.addIssue({
        code: "custom",
        message: `exactly one of "cmd" and "worker" is required, got ${both ? "both" : "neither"}`,
      });
    }
    if (isReservedId(value.id)) {
      ctx.addIssue({ code: "custom", path: ["id"], message: `"${value.id}" is reserved; choose another id` });
    }
    if (
      value.restartBackoffMaxMs !== undefined &&
      value.restartDelayMs !== undefined &&
      value.restartBackoffMaxMs < value.restartDelayMs
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["restartBackoffMaxMs"],
        message: `must be at least restartDelayMs (${value.restartDelayMs})`,
      });
    }
    const usesPort = [value.healthcheck?.http, value.healthcheck?.tcp].some((t) => t?.includes("{port}"));
    if (usesPort && value.cluster?.startPort === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["healthcheck"],
        message: "{port} needs cluster.startPort (it stands for each instance's PUP_CLUSTER_PORT)",
      });
    }
  })
  .describe("a process that pup keeps alive");

export const apiSchema = z
  .strictObject({
    hostname: z
      .string()
      .min(1)
      .default("127.0.0.1")
      .describe('address the REST API listens on (default "127.0.0.1": this machine only)'),
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .optional()
      .describe("port of the REST API (default: a free port, written to .pup/<file>-tmp/.main.port)"),
    revoked: z.array(z.string()).default([]).describe("consumers whose tokens are refused (default: none)"),
  })
  .describe("the REST API (default: 127.0.0.1 on a free port)");

export const watcherSchema = z
  .strictObject({
    interval: z
      .number()
      .int()
      .min(0)
      .default(1000)
      .describe("ms to wait for changes to settle before acting (default 1000)"),
    exts: z
      .array(z.string())
      .default(["ts", "tsx", "js", "jsx", "json"])
      .describe("file extensions to watch (default ts, tsx, js, jsx, json)"),
    match: z.array(z.string()).default(["**/*.*"]).describe('globs of files to watch (default "**/*.*")'),
    skip: z
      .array(z.string())
      .default(["**/.git/**"])
      .describe('globs of files to ignore (default "**/.git/**")'),
  })
  .describe("file watching for processes with watch (default: the values of its keys)");

export const pluginSchema = z
  .strictObject({
    url: z.string().min(1).describe("path or module specifier of the plugin"),
    options: z.any().optional().describe("passed to the plugin's constructor (default: none)"),
  })
  .describe("a plugin: a module that exports the class PupPlugin");

export const configSchema = z
  .strictObject({
    $schema: z.string().optional().describe("ignored; lets editors find this schema"),
    name: identifier("instance name")
      .optional()
      .describe(
        "instance name: 1 to 64 characters from a-z A-Z 0-9 @ . _ -; also the default service name (default: none)",
      ),
    api: apiSchema.optional(),
    logger: globalLoggerSchema.optional(),
    watcher: watcherSchema.optional(),
    processes: z.array(processSchema).describe("the processes to manage (pup run needs at least one)"),
    plugins: z.array(pluginSchema).optional().describe("plugins loaded by the instance (default: none)"),
    terminateTimeout: seconds("default time between SIGTERM and SIGKILL")
      .default(DEFAULT_TERMINATE_TIMEOUT)
      .describe(
        `seconds between SIGTERM and SIGKILL, for every process (default ${DEFAULT_TERMINATE_TIMEOUT})`,
      ),
    terminateGracePeriod: seconds("default time to wait for a process to exit before SIGTERM")
      .default(DEFAULT_TERMINATE_GRACE_PERIOD)
      .describe(
        `seconds to wait for a process to exit by itself before SIGTERM, for every process (default ${DEFAULT_TERMINATE_GRACE_PERIOD})`,
      ),
  })
  .superRefine(
    (value, ctx) => {
      for (const clash of idClashes(value.processes)) {
        const own = value.processes[clash.index];
        const what =
          clash.id === own.id ? `duplicate process id "${clash.id}"` : `cluster instance id "${clash.id}"`;
        ctx.addIssue({
          code: "custom",
          path: ["processes", clash.index, "id"],
          message: `${what}: ${clash.with} has it already (ids are case-insensitive)`,
        });
      }
      for (const problem of dependencyProblems(value.processes)) {
        ctx.addIssue({
          code: "custom",
          path: ["processes", problem.index, "dependsOn"],
          message:
            problem.kind === "unknown"
              ? `"${problem.id}" depends on unknown process "${problem.dependency}"`
              : `dependency cycle: ${problem.path.join(" -> ")}`,
        });
      }
    },
    // Only once everything else is valid: ids are enumerated per cluster instance, so an
    // out-of-range `instances` (2^53) must never reach this check.
    { when: (payload) => payload.issues.length === 0 },
  )
  .describe("pup configuration");

export type PupConfig = z.output<typeof configSchema>;
export type PupConfigInput = z.input<typeof configSchema>;
export type ProcessConfig = z.output<typeof processSchema>;
export type ProcessConfigInput = z.input<typeof processSchema>;
export type GlobalLoggerConfig = z.output<typeof globalLoggerSchema>;
export type ProcessLoggerConfig = z.output<typeof processLoggerSchema>;
export type ClusterConfig = z.output<typeof clusterSchema>;
export type HealthcheckConfig = z.output<typeof healthcheckSchema>;
export type WatcherConfig = z.output<typeof watcherSchema>;
export type ApiConfig = z.output<typeof apiSchema>;
export type PluginConfig = z.output<typeof pluginSchema>;
