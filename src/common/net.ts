import { isIPv6 } from "node:net";

/**
 * Where a program on this machine reaches a server bound to `hostname`: a wildcard address
 * (`0.0.0.0`, `::`) is not one to connect to, so it becomes the loopback address of its family.
 */
export function reachableHost(hostname: string): string {
  if (hostname === "0.0.0.0") return "127.0.0.1";
  if (isIPv6(hostname) && /^[0:]+$/.test(hostname)) return "::1";
  return hostname;
}

/** `host:port` with an IPv6 address in brackets, as URLs and `host:port` strings want it. */
export function hostPort(host: string, port: number | string): string {
  return `${isIPv6(host) ? `[${host}]` : host}:${port}`;
}

/** The `http://host:port` address of a server bound to `hostname`, reachable from this machine. */
export function reachableUrl(hostname: string, port: number | string): string {
  return `http://${hostPort(reachableHost(hostname), port)}`;
}
