#!/usr/bin/env node
// Summarises V8 .cpuprofile files (from `npm run bench -- --profile DIR`): self time by function
// and by file, heaviest first. Usage: node bench/profile-summary.js FILE… [--top N] [--after MS] [--before MS]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  // --after MS: only samples taken MS or more after the profile started (skip the start-up).
  // --before MS: only samples taken before MS (the start-up alone).
  options: {
    top: { type: "string", default: "25" },
    after: { type: "string", default: "0" },
    before: { type: "string", default: "Infinity" },
  },
});
const top = Number(values.top);
const afterUs = Number(values.after) * 1000;
const beforeUs = Number(values.before) * 1000;

for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  // Sample i lasted timeDeltas[i + 1] µs (the gap to the next sample).
  let clock = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    clock += profile.timeDeltas[i];
    if (clock < afterUs || clock >= beforeUs) continue;
    const dt = profile.timeDeltas[i + 1] ?? 0;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
  }
  const fn = new Map();
  const files = new Map();
  let total = 0;
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const where = url.replace(/^file:\/\//, "").replace(/.*\/(node_modules|dist)\//, "$1/") || "(native)";
    const key = `${functionName || "(anonymous)"} ${where}:${lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    files.set(where, (files.get(where) ?? 0) + us);
    total += us;
  }
  const show = (title, map) => {
    console.log(`\n${title}`);
    for (const [k, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(
        `${(us / 1000).toFixed(1).padStart(9)} ms ${((us / total) * 100).toFixed(1).padStart(5)} %  ${k}`,
      );
    }
  };
  console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled`);
  show("self time by function", fn);
  show("self time by file", files);
}
