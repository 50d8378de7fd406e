/** pup's programmatic entry points. */

export { ApiError, ApiUnreachableError, PupClient } from "./client/client.ts";
export { ConfigError, UserError } from "./common/errors.ts";
export { loadConfig, parseConfig, validateConfig } from "./config/load.ts";
export type { ProcessConfig, PupConfig } from "./config/schema.ts";
export { ProcessState, stateName } from "./core/states.ts";
export { Supervisor } from "./core/supervisor.ts";
export type { ProcessEntry, ProcessInfo } from "./core/types.ts";
export { Instance } from "./instance/instance.ts";
export type { LogEntry } from "./logs/entry.ts";
export { PupTelemetry } from "./telemetry/telemetry.ts";
export { VERSION } from "./version.ts";
