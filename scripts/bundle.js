// Bundles the command-line program (src/cli/entry.ts) into dist/bundle/: one file per lazily
// loaded part instead of ~150 modules, which takes about 80 ms off every start of `pup run` and
// 20 ms off every `pup status`. The library (dist/index.js, dist/telemetry) stays tsc's output.
// Packages that are loaded only on demand, or natively, are left to node_modules.
import { copyFileSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

const cli = build({
  entryPoints: ["src/cli/entry.ts"],
  outdir: "dist/bundle",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  metafile: true,
  logLevel: "warning",
  // Native, or loaded only when the REST API gets its first connection / a process watches files /
  // `pup export kubernetes` runs (kubernetes-models' validators load a WebAssembly file beside them).
  external: [
    "better-sqlite3",
    "fastify",
    "@fastify/*",
    "ws",
    "prom-client",
    "jose",
    "chokidar",
    "picomatch",
    "tsx",
    "kubernetes-models",
    "@kubernetes-models/*",
    "yaml",
  ],
  // Bundled CommonJS packages call require() for Node's own modules.
  banner: {
    js: 'import { createRequire as __pupRequire } from "node:module"; const require = __pupRequire(import.meta.url);',
  },
});

// The web dashboard for browsers: one minified script and one stylesheet (uPlot's included) beside
// its page in dist/dashboard/public/, served by src/dashboard/routes.ts; the page loads nothing from anywhere else.
const dashboard = build({
  entryPoints: { app: "src/dashboard/ui/main.ts" },
  outdir: "dist/dashboard/public",
  bundle: true,
  minify: true,
  format: "esm",
  platform: "browser",
  target: ["es2022"],
  legalComments: "none",
  logLevel: "warning",
});

const [result] = await Promise.all([cli, dashboard]);
copyFileSync("src/dashboard/ui/index.html", "dist/dashboard/public/index.html");
// Which source modules each output file holds (a test checks what a command loads).
writeFileSync("dist/bundle/meta.json", JSON.stringify(result.metafile));
