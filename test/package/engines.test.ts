import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import semver from "semver";
import { ROOT } from "../helpers/pup-process.ts";

interface LockEntry {
  version?: string;
  dev?: boolean;
  engines?: { node?: string } | string[];
}

const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
const lock = JSON.parse(readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));

test("every package npm ci installs runs on the oldest Node.js pup supports (no EBADENGINE)", () => {
  const oldest = semver.minVersion(pkg.engines.node)!;
  assert.equal(oldest.major, 20, `package.json engines.node is ${pkg.engines.node}: pup supports Node.js 20`);
  const refusing: string[] = [];
  for (const [where, entry] of Object.entries(lock.packages as Record<string, LockEntry>)) {
    const range = !where || Array.isArray(entry.engines) ? undefined : entry.engines?.node;
    if (range && !semver.satisfies(oldest, range, { includePrerelease: true })) {
      refusing.push(`${where}@${entry.version} wants node ${range}`);
    }
  }
  assert.deepEqual(
    refusing,
    [],
    `these would warn EBADENGINE on Node.js ${oldest}: pin a version that supports it with "overrides"`,
  );
});

test("the lock file is what package.json asks for (the overrides included)", () => {
  const root = lock.packages[""];
  for (const field of ["dependencies", "devDependencies"] as const) {
    assert.deepEqual(
      root[field] ?? {},
      pkg[field] ?? {},
      `package-lock.json is stale: run npm install (${field})`,
    );
  }
  for (const [parent, pins] of Object.entries(pkg.overrides ?? {}) as Array<
    [string, Record<string, string>]
  >) {
    for (const [name, version] of Object.entries(pins)) {
      const installed =
        lock.packages[`node_modules/${parent}/node_modules/${name}`] ?? lock.packages[`node_modules/${name}`];
      assert.ok(installed, `${name} (under ${parent}) is not in package-lock.json`);
      assert.ok(
        semver.satisfies(installed.version, version),
        `${name} is ${installed.version}, overrides say ${version}`,
      );
    }
  }
});
