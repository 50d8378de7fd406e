import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(prefix = "pup-test-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function writeJson(file: string, value: unknown): string {
  writeFileSync(file, JSON.stringify(value, null, 2));
  return file;
}

/** Makes numbered project folders p1, p2, … under `root`, each with `config` as its pup.json. */
export function projects(root: string): (config: object) => { dir: string; file: string } {
  let n = 0;
  return (config) => {
    const dir = path.join(root, `p${++n}`);
    mkdirSync(dir, { recursive: true });
    return { dir, file: writeJson(path.join(dir, "pup.json"), config) };
  };
}
