import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { CronJob } from "kubernetes-models/batch/v1/CronJob";
import { Job } from "kubernetes-models/batch/v1/Job";
import { Service } from "kubernetes-models/v1/Service";
import { validateConfig } from "../../src/config/load.ts";
import {
  clusterSchema,
  configSchema,
  healthcheckSchema,
  type PupConfigInput,
  processSchema,
} from "../../src/config/schema.ts";
import { ExportError } from "../../src/export/errors.ts";
import { type KubernetesOptions, type Manifest, toKubernetes } from "../../src/export/kubernetes.ts";
import { EVERY_KEY } from "./every-key.ts";

const OPTIONS: KubernetesOptions = { image: "shop:1.2", namespace: "shop", timeZone: "Europe/Berlin" };

function exported(input: PupConfigInput, options: Partial<KubernetesOptions> = {}) {
  return toKubernetes(validateConfig(input, "pup.json"), { ...OPTIONS, ...options });
}

// biome-ignore lint/suspicious/noExplicitAny: manifests are read as the plain objects they print as.
type Json = any;

function pick(manifests: Manifest[], kind: string, name: string): Json {
  const found = manifests.find((m) => m.kind === kind && m.metadata?.name === name);
  assert.ok(
    found,
    `${kind} ${name} among ${manifests.map((m) => `${m.kind}/${m.metadata?.name}`).join(", ")}`,
  );
  return found.toJSON();
}

const podOf = (m: Json) => (m.kind === "CronJob" ? m.spec.jobTemplate.spec.template : m.spec.template);
const containerOf = (m: Json) => podOf(m).spec.containers[0];

describe("export to Kubernetes: a configuration that uses every key", () => {
  const { manifests, warnings } = exported(EVERY_KEY);
  const find = (kind: string, name: string) => pick(manifests, kind, name);

  test("the fixture really uses every key of the format", () => {
    const used = (objects: object[]) => new Set(objects.flatMap((o) => Object.keys(o)));
    const processes = EVERY_KEY.processes;
    const missing = (shape: object, objects: object[]) =>
      Object.keys(shape).filter((key) => !used(objects).has(key));
    assert.deepEqual(missing(configSchema.shape, [EVERY_KEY]), []);
    assert.deepEqual(missing(processSchema.shape, processes), []);
    assert.deepEqual(
      missing(
        healthcheckSchema.shape,
        processes.flatMap((p) => p.healthcheck ?? []),
      ),
      [],
    );
    assert.deepEqual(
      missing(
        clusterSchema.shape,
        processes.flatMap((p) => p.cluster ?? []),
      ),
      [],
    );
  });

  test("one workload per process, in order, and a Service for each commonPort", () => {
    assert.deepEqual(
      manifests.map((m) => `${m.kind}/${m.metadata?.name}`),
      [
        "Deployment/api-server-v2",
        "Service/api-server-v2",
        "Job/migrate",
        "CronJob/report",
        "Deployment/dev",
        "Deployment/console",
        "CronJob/ticks",
        "Deployment/queue",
        "Service/queue",
      ],
    );
  });

  test("every object passes Kubernetes' schema, and carries the namespace and the three labels", () => {
    for (const manifest of manifests) {
      const json: Json = manifest.toJSON();
      const Model = { Deployment, Job, CronJob, Service }[json.kind as "Deployment"];
      assert.doesNotThrow(() => new Model(json).validate(), json.metadata.name);
      const labels = {
        "app.kubernetes.io/name": json.metadata.name,
        "app.kubernetes.io/part-of": "shop.eu",
        "app.kubernetes.io/managed-by": "pup",
      };
      assert.deepEqual(json.metadata.labels, labels);
      assert.equal(json.metadata.namespace, "shop");
      if (manifest.kind !== "Service") assert.deepEqual(podOf(json).metadata.labels, labels);
    }
  });

  test("replicas: cluster.instances when started with the instance or by watch, 0 when started by hand", () => {
    assert.equal(find("Deployment", "api-server-v2").spec.replicas, 3);
    assert.equal(find("Deployment", "dev").spec.replicas, 1);
    assert.equal(find("Deployment", "console").spec.replicas, 0);
    assert.equal(find("Deployment", "queue").spec.replicas, 2);
    for (const name of ["api-server-v2", "dev", "console", "queue"]) {
      const deployment = find("Deployment", name);
      assert.deepEqual(deployment.spec.selector.matchLabels, { "app.kubernetes.io/name": name });
      assert.equal(podOf(deployment).spec.restartPolicy, "Always");
    }
  });

  test("cron: the schedule without its seconds field, concurrency by overrun, retries by restart policy", () => {
    const report = find("CronJob", "report");
    assert.equal(report.spec.schedule, "30 2 * * *");
    assert.equal(report.spec.timeZone, "Europe/Berlin");
    assert.equal(report.spec.concurrencyPolicy, "Allow");
    assert.equal(
      report.spec.jobTemplate.spec.backoffLimit,
      0,
      "no restart policy: a failed run is not retried",
    );
    assert.equal(podOf(report).spec.restartPolicy, "Never");
    const ticks = find("CronJob", "ticks");
    assert.equal(ticks.spec.schedule, "*/5 * * * *");
    assert.equal(ticks.spec.concurrencyPolicy, "Forbid");
    assert.equal(ticks.spec.jobTemplate.spec.backoffLimit, 6);
    assert.equal(podOf(ticks).spec.restartPolicy, "OnFailure");
    assert.equal(ticks.spec.jobTemplate.spec.parallelism, 2);
    assert.equal(ticks.spec.jobTemplate.spec.completions, 2);
  });

  test("autostart with restart error: a Job, backoffLimit from restartLimit, deadline from timeout", () => {
    const migrate = find("Job", "migrate");
    assert.equal(migrate.spec.backoffLimit, 2);
    assert.equal(migrate.spec.activeDeadlineSeconds, 60);
    assert.equal(podOf(migrate).spec.restartPolicy, "OnFailure");
    assert.equal(migrate.spec.parallelism, undefined);
  });

  test("Services: commonPort to startPort, selecting the workload's pods; ip-hash is ClientIP affinity", () => {
    const api = find("Service", "api-server-v2");
    assert.deepEqual(api.spec.ports, [{ port: 3000, targetPort: 3001, protocol: "TCP" }]);
    assert.deepEqual(api.spec.selector, find("Deployment", "api-server-v2").spec.selector.matchLabels);
    assert.equal(api.spec.sessionAffinity, "ClientIP");
    const queue = find("Service", "queue");
    assert.deepEqual(queue.spec.ports, [{ port: 5000, targetPort: 5001, protocol: "TCP" }]);
    assert.equal(queue.spec.sessionAffinity, undefined);
    assert.deepEqual(containerOf(find("Deployment", "api-server-v2")).ports, [
      { containerPort: 3001, protocol: "TCP" },
    ]);
    assert.deepEqual(containerOf(find("CronJob", "ticks")).ports, [{ containerPort: 4001, protocol: "TCP" }]);
    assert.equal(containerOf(find("Deployment", "dev")).ports, undefined);
  });

  test("probes: the healthcheck as readiness and liveness probes, in whole seconds; {port} is startPort", () => {
    const api = containerOf(find("Deployment", "api-server-v2"));
    const expected = {
      httpGet: { path: "/health?deep=1", port: 3001, scheme: "HTTP" },
      periodSeconds: 3,
      timeoutSeconds: 2,
      failureThreshold: 4,
      initialDelaySeconds: 5,
    };
    assert.deepEqual(api.readinessProbe, expected);
    assert.deepEqual(api.livenessProbe, expected);
    const dev = containerOf(find("Deployment", "dev"));
    assert.deepEqual(dev.livenessProbe.tcpSocket, { port: 5432 });
    assert.deepEqual(
      [dev.livenessProbe.periodSeconds, dev.livenessProbe.timeoutSeconds, dev.livenessProbe.failureThreshold],
      [10, 3, 3],
    );
    assert.deepEqual(containerOf(find("CronJob", "ticks")).readinessProbe.tcpSocket, { port: 4001 });
    const report = containerOf(find("CronJob", "report"));
    assert.deepEqual(report.readinessProbe.exec, { command: ["/bin/sh", "-c", "test -f /tmp/alive"] });
    assert.equal(report.livenessProbe, undefined, "restart: false — unhealthy is reported, never restarted");
  });

  test("limits, grace periods, working directories, commands", () => {
    const api = find("Deployment", "api-server-v2");
    assert.deepEqual(containerOf(api).resources, { limits: { memory: "256Mi" } });
    assert.equal(containerOf(find("Deployment", "dev")).resources, undefined);
    assert.equal(podOf(api).spec.terminationGracePeriodSeconds, 13, "⌈2.5 + 10⌉");
    assert.equal(podOf(find("Job", "migrate")).spec.terminationGracePeriodSeconds, 21, "global 1 + 20");
    assert.equal(podOf(find("Deployment", "console")).spec.terminationGracePeriodSeconds, 1, "at least 1");
    assert.equal(containerOf(api).workingDir, "/app/api");
    assert.equal(containerOf(find("Job", "migrate")).workingDir, "/app");
    for (const m of manifests.filter((m) => m.kind !== "Service")) {
      assert.equal(containerOf(m.toJSON()).image, "shop:1.2");
      assert.equal(containerOf(m.toJSON()).name, m.metadata?.name);
    }
    assert.deepEqual(containerOf(api).command, [
      "/bin/sh",
      "-c",
      `export PATH="$PATH":'/opt/tools:/opt/more bin'; node server.js --port 3000`,
    ]);
    assert.deepEqual(containerOf(find("Job", "migrate")).command, [
      "/bin/sh",
      "-c",
      "node migrate.js && echo done",
    ]);
    assert.deepEqual(containerOf(find("CronJob", "report")).command, [
      "node",
      "/app/jobs/report.js",
      "--full",
    ]);
  });

  test("env: the process's own in its order (PATH is appended by the command), then pup's", () => {
    assert.deepEqual(containerOf(find("Deployment", "api-server-v2")).env, [
      { name: "NODE_ENV", value: "production" },
      { name: "PUP_PROCESS_ID", value: "Api_Server.v2" },
      { name: "PUP_CLUSTER_PORT", value: "3001" },
      { name: "PORT", value: "3001" },
    ]);
    assert.deepEqual(containerOf(find("Deployment", "queue")).env, [
      { name: "PORT", value: "9999" },
      { name: "PUP_PROCESS_ID", value: "queue" },
      { name: "PUP_CLUSTER_PORT", value: "5001" },
    ]);
  });

  test("a warning for each key without an equivalent, naming the process", () => {
    const expected: Array<[string, RegExp]> = [
      ["plugins", /^plugins: /],
      ["global logger", /^logger: /],
      ["dependsOn", /^process "Api_Server\.v2": dependsOn: /],
      ["pidFile", /^process "Api_Server\.v2": pidFile: /],
      ["process logger", /^process "Api_Server\.v2": logger: /],
      ["restartLimit", /^process "Api_Server\.v2": restartLimit: /],
      ["timeout", /^process "Api_Server\.v2": timeout: /],
      ["restart delays", /^process "Api_Server\.v2": restart delays: /],
      ["terminate", /^process "report": terminate: /],
      ["watch", /^process "dev": watch: /],
      ["probe host", /^process "dev": healthcheck: .*"db"/],
      ["by hand", /^process "console": started by hand: .*0 replicas.*kubectl scale deployment\/console/],
      ["least-connections", /^process "queue": cluster\.strategy least-connections/],
    ];
    for (const [what, pattern] of expected) {
      assert.ok(
        warnings.some((w) => pattern.test(w)),
        `${what}: ${pattern} in\n${warnings.join("\n")}`,
      );
    }
    assert.ok(
      warnings.every((w) => !w.includes("\n")),
      "one line each",
    );
    assert.ok(!warnings.some((w) => w.startsWith('process "ticks"')), warnings.join("\n"));
  });
});

describe("export to Kubernetes: names, options and what cannot be expressed", () => {
  const one = (process: Record<string, unknown>, rest: Partial<PupConfigInput> = {}) =>
    exported({
      ...rest,
      processes: [{ id: "p", cmd: "sleep 1", ...process }] as PupConfigInput["processes"],
    });

  test("a cron firing at seconds other than 0, or with croner's L and #, is an error naming the process", () => {
    for (const cron of [
      "*/10 * * * * *",
      "30 0 * * * *",
      "0 0 12 L * *",
      "0 0 12 * * 5L",
      "0 0 12 * * 5#2",
    ]) {
      assert.throws(
        () => one({ id: "tick", cron }),
        (err: unknown) =>
          err instanceof ExportError &&
          err.message.startsWith(`process "tick": cron "${cron}"`) &&
          !/\n/.test(err.message),
        cron,
      );
    }
    assert.equal(
      pick(one({ cron: "00 15 10 * * MON-FRI" }).manifests, "CronJob", "p").spec.schedule,
      "15 10 * * MON-FRI",
    );
  });

  test("ids become DNS-1123 labels; ids that become the same name are refused, naming both", () => {
    const names = (ids: string[]) =>
      exported({ processes: ids.map((id) => ({ id, cmd: "sleep 1" })) }).manifests.map(
        (m) => m.metadata?.name,
      );
    assert.deepEqual(names(["Api_Server.v2", "@web@", "a--b"]), ["api-server-v2", "web", "a-b"]);
    assert.deepEqual(
      names([`${"x".repeat(62)}_y`]),
      ["x".repeat(62)],
      "63 characters at most, no dash at the end",
    );
    const cron = exported({ processes: [{ id: "c".repeat(60), cmd: "true", cron: "* * * * *" }] });
    assert.equal(cron.manifests[0].metadata?.name, "c".repeat(52), "a CronJob's name fits 52 characters");
    assert.throws(
      () => names(["a_b", "a.b"]),
      /^ExportError: processes "a_b" and "a\.b" would both be named "a-b"/,
    );
    assert.throws(() => names(["_"]), /process "_": its id has no letter or digit/);
  });

  test("a Service of a name that starts with a digit is prefixed (Service names start with a letter)", () => {
    const { manifests, warnings } = one({
      id: "1web",
      autostart: true,
      cluster: { instances: 2, startPort: 8001, commonPort: 8000 },
    });
    assert.deepEqual(
      manifests.map((m) => `${m.kind}/${m.metadata?.name}`),
      ["Deployment/1web", "Service/svc-1web"],
    );
    assert.deepEqual(pick(manifests, "Service", "svc-1web").spec.selector, {
      "app.kubernetes.io/name": "1web",
    });
    assert.ok(warnings.some((w) => w.includes('"svc-1web"')));
  });

  test("part-of is the configuration's name made a label value, else pup; no namespace unless given", () => {
    const partOf = (name?: string) =>
      exported(
        { ...(name === undefined ? {} : { name }), processes: [{ id: "p", cmd: "true" }] },
        {
          namespace: undefined,
        },
      ).manifests[0].toJSON().metadata;
    assert.equal(partOf().labels["app.kubernetes.io/part-of"], "pup");
    assert.equal(partOf().namespace, undefined);
    assert.equal(partOf("My.App_v2").labels["app.kubernetes.io/part-of"], "My.App_v2");
    assert.equal(partOf("me@home").labels["app.kubernetes.io/part-of"], "me-home");
    assert.equal(partOf("@@@").labels["app.kubernetes.io/part-of"], "pup");
    assert.equal(partOf(`a${"b".repeat(63)}`).labels["app.kubernetes.io/part-of"].length, 63);
  });

  test("--image, --namespace and --workdir are checked, with one line naming the flag", () => {
    for (const [options, flag] of [
      [{ image: "" }, "--image"],
      [{ image: "a b" }, "--image"],
      [{ namespace: "Shop" }, "--namespace"],
      [{ workdir: "app" }, "--workdir"],
    ] as const) {
      assert.throws(
        () => exported({ processes: [{ id: "p", cmd: "true" }] }, options),
        (err: unknown) => err instanceof ExportError && err.message.startsWith(`${flag}: `),
      );
    }
    const srv = exported({ processes: [{ id: "p", cmd: "true", cwd: "x" }] }, { workdir: "/srv" });
    assert.equal(containerOf(srv.manifests[0].toJSON()).workingDir, "/srv/x");
  });

  test("absolute paths: under the configuration's folder they move into the image, elsewhere they stay, warned", () => {
    const config = {
      processes: [
        { id: "in", cmd: "true", cwd: "/home/me/project/api" },
        { id: "out", worker: ["/opt/w.ts"] },
        { id: "dots", cmd: "true", cwd: "/home/me/project/..data" },
        { id: "sibling", cmd: "true", cwd: "/home/me/project2" },
      ],
    };
    const { manifests, warnings } = exported(config, { configDir: "/home/me/project" });
    assert.equal(containerOf(manifests[0].toJSON()).workingDir, "/app/api");
    assert.deepEqual(containerOf(manifests[1].toJSON()).command, ["node", "/opt/w.ts"]);
    assert.ok(warnings.some((w) => /^process "out": worker: "\/opt\/w\.ts" is outside/.test(w)));
    assert.ok(warnings.some((w) => /^process "out": worker: node runs "\/opt\/w\.ts" only if/.test(w)));
    assert.equal(containerOf(manifests[2].toJSON()).workingDir, "/app/..data");
    assert.equal(containerOf(manifests[3].toJSON()).workingDir, "/home/me/project2");
    assert.ok(warnings.some((w) => /^process "sibling": cwd: "\/home\/me\/project2" is outside/.test(w)));
  });

  test("https probes go to 443 by default; a command with shell syntax runs as written", () => {
    const { manifests } = one({
      autostart: true,
      cmd: "a | b",
      healthcheck: { http: "https://localhost/up" },
    });
    const container = containerOf(manifests[0].toJSON());
    assert.deepEqual(container.readinessProbe.httpGet, { path: "/up", port: 443, scheme: "HTTPS" });
    assert.deepEqual(container.command, ["/bin/sh", "-c", "a | b"]);
  });

  test("$( and $$ survive Kubernetes' expansion of command and env: what runs is what pup would run", () => {
    // Kubernetes' expansion (third_party/forked/golang/expansion): $(NAME) is replaced when NAME is
    // defined, $$ is one $, anything else stays.
    const expand = (input: string, vars: Record<string, string>) =>
      input.replace(/\$(\$|\(([^)]*)\)|\(?)/g, (all, next: string, name?: string) => {
        if (next === "$") return "$";
        if (name !== undefined) return vars[name] ?? all;
        return all;
      });
    const cmd = "echo $(date) $$ $HOME $(PORT) $$(x) '$'";
    const { manifests } = one({ autostart: true, cmd, env: { A: "$(PORT)$$", PORT: "1" } });
    const container = containerOf(manifests[0].toJSON());
    const vars = { PORT: "1", A: "x", date: "now" };
    assert.equal(expand(container.command[2], vars), cmd);
    assert.equal(expand(container.env[0].value, vars), "$(PORT)$$");
    assert.equal(expand("$(PORT) $$", vars), "1 $", "the reference expands what is not escaped");
  });

  test("cron with autostart: a CronJob, and a warning with the command for a first run", () => {
    const { manifests, warnings } = one({ cron: "0 * * * *", autostart: true });
    assert.equal(manifests[0].kind, "CronJob");
    assert.ok(warnings.some((w) => w.includes("kubectl create job --from=cronjob/p")));
  });

  test("a manifest that does not pass Kubernetes' schema is a fault of ours, thrown, never returned", async () => {
    const { validateManifest } = await import("../../src/export/validate.ts");
    const broken = new Deployment({ metadata: { name: "p" }, spec: { template: {} } as never });
    assert.throws(
      () => validateManifest(broken),
      (err: unknown) =>
        err instanceof Error &&
        !(err instanceof ExportError) &&
        /Deployment "p" does not validate/.test(err.message),
    );
    const badName = new Service({ metadata: { name: "1web" }, spec: {} });
    assert.throws(() => validateManifest(badName), /metadata\.name "1web" is not a valid Service name/);
    const badLabel = new Service({ metadata: { name: "web", labels: { a: "-x" } }, spec: {} });
    assert.throws(() => validateManifest(badLabel), /label a: "-x"/);
  });
});
