import type { Supervisor } from "./supervisor.ts";

/**
 * What the adapters around the core (the REST API, the event stream, metrics, the load balancer,
 * plugins through the API) may do with it: list and read processes, act on them, report
 * telemetry and IPC, subscribe to events, and register a cluster's balancer. The supervisor
 * implements it; adapters get this narrow view, never the supervisor or its event emitter.
 */
export type CoreFacade = Pick<
  Supervisor,
  | "list"
  | "get"
  | "has"
  | "revision"
  | "refreshUsage"
  | "cpuSeconds"
  | "startProcess"
  | "stopProcess"
  | "restartProcess"
  | "blockProcess"
  | "unblockProcess"
  | "setTelemetry"
  | "sendIpc"
  | "subscribe"
  | "setRotation"
>;
