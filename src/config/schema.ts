import { Cron } from "croner";
import { z } from "zod";
import { DEFAULT_TERMINATE_GRACE_PERIOD, DEFAULT_TERMINATE_TIMEOUT } from "./defaults.ts";

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
  try {
    new Cron(pattern, { paused: true }).stop();
    return undefined;
  } catch (err) {
    return `invalid cron expression "${pattern}": ${(err as Error).message}`;
  }
}

const cronExpression = z
  .string()
  .superRefine((value, ctx) => {
    const problem = cronProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .describe("cron expression: 5 fields, or 6 with seconds first");

const seconds = (what: string) => z.number().min(0).describe(`${what}, in seconds`);

const rotation = {
  maxFileSizeMb: z
    .number()
    .min(0)
    .optional()
    .describe("rotate a log file when it grows past this many MiB (0 disables rotation; default 50)"),
  maxFiles: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("rotated log files to keep beside the current one (default 10)"),
};

export const processLoggerSchema = z
  .strictObject({
    console: z.boolean().optional().describe("echo this process's entries to the console (default true)"),
    stdout: z.string().optional().describe("append this process's entries to this file"),
    stderr: z
      .string()
      .optional()
      .describe("file for this process's error entries (default: the stdout file)"),
    decorateFiles: z.boolean().optional().describe("decorate file lines (default false)"),
    ...rotation,
  })
  .describe("logging of one process");

export const globalLoggerSchema = z
  .strictObject({
    console: z.boolean().optional().describe("echo entries to the console (default true)"),
    stdout: z.string().optional().describe("append every entry to this file"),
    stderr: z.string().optional().describe("file for error entries (default: the stdout file)"),
    decorate: z.boolean().optional().describe("decorate console lines (default true)"),
    colors: z
      .boolean()
      .optional()
      .describe("colour console lines (default true; off without a TTY or with NO_COLOR)"),
    decorateFiles: z.boolean().optional().describe("decorate file lines (default: decorate)"),
    internalLogHours: z
      .number()
      .min(0)
      .optional()
      .describe("hours to keep entries in the log store (default 48; 0 disables the store)"),
    ...rotation,
  })
  .describe("logging of the instance");

export const clusterSchema = z
  .strictObject({
    instances: z.number().int().min(1).max(65535).default(1).describe("copies of the process to run"),
    startPort: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe("PUP_CLUSTER_PORT of instance n is startPort + n"),
    commonPort: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe("port of the load balancer in front of the instances (requires startPort)"),
    strategy: z
      .enum(["round-robin", "least-connections", "ip-hash"])
      .default("round-robin")
      .describe("how the load balancer picks an instance"),
  })
  .superRefine((value, ctx) => {
    if (value.commonPort !== undefined && value.startPort === undefined) {
      ctx.addIssue({ code: "custom", path: ["commonPort"], message: "commonPort requires startPort" });
    }
  })
  .describe("run several instances of the process");

export const processSchema = z
  .strictObject({
    id: identifier("process id"),
    cmd: z.string().min(1).optional().describe("command line; shell syntax works"),
    worker: z
      .array(z.string())
      .min(1)
      .optional()
      .describe("a JavaScript file run as a worker thread of the instance, then its arguments"),
    cwd: z.string().optional().describe("working directory (default: the configuration's folder)"),
    env: z.record(z.string(), z.string()).optional().describe("added to the inherited environment"),
    path: z.string().optional().describe("appended to PATH"),
    pidFile: z.string().optional().describe("file that holds the child's pid while it runs"),
    timeout: z.number().min(1).optional().describe("stop the process when it has run this many seconds"),
    overrun: z
      .boolean()
      .default(false)
      .describe("allow a new start (cron) while the previous run is running"),
    autostart: z.boolean().default(false).describe("start when the instance starts"),
    cron: cronExpression.optional(),
    watch: z.array(z.string()).optional().describe("restart when a matching file under these paths changes"),
    restart: z
      .enum(["always", "error"])
      .optional()
      .describe('restart after exit: "always", or "error" (non-zero exit or signal death only)'),
    restartDelayMs: z
      .number()
      .int()
      .min(0)
      .max(86_400_000)
      .default(10_000)
      .describe("delay before an automatic restart, ms"),
    restartLimit: z.number().int().min(0).optional().describe("automatic restarts allowed before EXHAUSTED"),
    terminate: cronExpression.optional().describe("stop on this cron schedule"),
    terminateGracePeriod: seconds("wait for the process to exit by itself before SIGTERM").optional(),
    terminateTimeout: seconds("after SIGTERM, wait this long before SIGKILL").optional(),
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
  })
  .describe("a process that pup keeps alive");

export const apiSchema = z
  .strictObject({
    hostname: z.string().min(1).default("127.0.0.1").describe("address the REST API listens on"),
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .optional()
      .describe("port of the REST API (default: a free port)"),
    revoked: z.array(z.string()).default([]).describe("consumers whose tokens are refused"),
  })
  .describe("the REST API");

export const watcherSchema = z
  .strictObject({
    interval: z
      .number()
      .int()
      .min(0)
      .default(1000)
      .describe("ms to wait for changes to settle before acting"),
    exts: z
      .array(z.string())
      .default(["ts", "tsx", "js", "jsx", "json"])
      .describe("file extensions to watch"),
    match: z.array(z.string()).default(["**/*.*"]).describe("globs of files to watch"),
    skip: z.array(z.string()).default(["**/.git/**"]).describe("globs of files to ignore"),
  })
  .describe("file watching for processes with watch");

export const pluginSchema = z
  .strictObject({
    url: z.string().min(1).describe("path or module specifier of the plugin"),
    options: z.any().optional().describe("passed to the plugin"),
  })
  .describe("a plugin");

export const configSchema = z
  .strictObject({
    $schema: z.string().optional().describe("ignored; lets editors find this schema"),
    name: identifier("instance name").optional(),
    api: apiSchema.optional(),
    logger: globalLoggerSchema.optional(),
    watcher: watcherSchema.optional(),
    processes: z.array(processSchema).describe("the processes to manage"),
    plugins: z.array(pluginSchema).optional(),
    terminateTimeout: seconds("default time between SIGTERM and SIGKILL").default(DEFAULT_TERMINATE_TIMEOUT),
    terminateGracePeriod: seconds("default time to wait for a process to exit before SIGTERM").default(
      DEFAULT_TERMINATE_GRACE_PERIOD,
    ),
  })
  .superRefine((value, ctx) => {
    const seen = new Map<string, number>();
    value.processes.forEach((proc, index) => {
      const key = proc.id.toLowerCase();
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["processes", index, "id"],
          message: `duplicate process id "${proc.id}" (processes[${first}] has it already; ids are case-insensitive)`,
        });
      } else {
        seen.set(key, index);
      }
    });
  })
  .describe("pup configuration");

export type PupConfig = z.output<typeof configSchema>;
export type PupConfigInput = z.input<typeof configSchema>;
export type ProcessConfig = z.output<typeof processSchema>;
export type ProcessConfigInput = z.input<typeof processSchema>;
export type GlobalLoggerConfig = z.output<typeof globalLoggerSchema>;
export type ProcessLoggerConfig = z.output<typeof processLoggerSchema>;
export type ClusterConfig = z.output<typeof clusterSchema>;
export type WatcherConfig = z.output<typeof watcherSchema>;
export type ApiConfig = z.output<typeof apiSchema>;
export type PluginConfig = z.output<typeof pluginSchema>;
