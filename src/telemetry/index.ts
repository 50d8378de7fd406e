/** What a managed process imports: `import { PupTelemetry } from "pup/telemetry"` (light: no core). */
export { ApiError, ApiUnreachableError, PupClient } from "../client/client.ts";
export { PupTelemetry, type PupTelemetryOptions } from "./telemetry.ts";
