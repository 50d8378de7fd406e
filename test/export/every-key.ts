import type { PupConfigInput } from "../../src/config/schema.ts";

/**
 * A configuration that uses every key of the format (a test checks that it still does when the
 * schema grows), so the export's answer to each one is tested.
 */
export const EVERY_KEY: PupConfigInput = {
  $schema: "../docs/pup.schema.json",
  name: "@shop.eu_",
  api: { hostname: "0.0.0.0", port: 9000, revoked: ["old"] },
  logger: { stdout: "all.log", console: true },
  watcher: { interval: 500, exts: ["js"], match: ["**/*.js"], skip: ["**/node_modules/**"] },
  plugins: [{ url: "./plugin.js", options: { a: 1 } }],
  terminateTimeout: 20,
  terminateGracePeriod: 1,
  processes: [
    {
      id: "Api_Server.v2",
      cmd: "node server.js --port 3000",
      cwd: "api",
      env: { NODE_ENV: "production", PATH: "/opt/tools" },
      path: "/opt/more bin",
      autostart: true,
      restartDelayMs: 500,
      restartBackoffMaxMs: 8000,
      restartResetMs: 60_000,
      restartLimit: 5,
      timeout: 3600,
      cluster: { instances: 3, startPort: 3001, commonPort: 3000, strategy: "ip-hash" },
      healthcheck: {
        http: "http://127.0.0.1:{port}/health?deep=1",
        intervalMs: 2500,
        timeoutMs: 1500,
        retries: 4,
        startPeriodMs: 5000,
        restart: true,
      },
      maxMemoryMb: 256,
      terminateGracePeriod: 2.5,
      terminateTimeout: 10,
      dependsOn: ["migrate"],
      pidFile: "api.pid",
      logger: { stdout: "api.log", stderr: "api.err", console: false, decorateFiles: true },
    },
    {
      id: "migrate",
      cmd: "node migrate.js && echo done",
      autostart: true,
      restart: "error",
      restartLimit: 2,
      timeout: 59.5,
    },
    {
      id: "report",
      worker: ["jobs/report.js", "--full"],
      cron: "0 30 2 * * *",
      overrun: true,
      healthcheck: { cmd: "test -f /tmp/alive", restart: false },
      terminate: "0 4 * * *",
    },
    { id: "dev", cmd: "node app.js", watch: ["src"], healthcheck: { tcp: "db:5432" } },
    { id: "console", cmd: "node repl.js", restart: "error", terminateGracePeriod: 0, terminateTimeout: 0 },
    {
      id: "ticks",
      cmd: "node tick.js",
      cron: "*/5 * * * *",
      restart: "error",
      cluster: { instances: 2, startPort: 4001 },
      healthcheck: { tcp: "localhost:{port}" },
    },
    {
      id: "queue",
      cmd: "node queue.js",
      autostart: true,
      env: { PORT: "9999" },
      cluster: { instances: 2, startPort: 5001, commonPort: 5000, strategy: "least-connections" },
    },
  ],
};
