import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The folder of pup's package.json. Found by walking up from this module, because the module sits
 * at different depths in `src/` (tests), `dist/` (the library) and `dist/bundle/` (the CLI).
 */
function findPackageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, "package.json");
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "pup"
    ) {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("pup: cannot find its own package.json");
    dir = parent;
  }
}

export const PACKAGE_ROOT = findPackageRoot();
