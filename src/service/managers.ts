/** The service managers pup can install itself with. */
export const SERVICE_MANAGERS = ["systemd", "launchd", "sysvinit", "upstart", "windows"] as const;
export type ServiceManager = (typeof SERVICE_MANAGERS)[number];
