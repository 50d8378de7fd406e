import { createRequire } from "node:module";
import path from "node:path";
import type { FSWatcher } from "chokidar";
import type picomatchType from "picomatch";
import type { WatcherConfig } from "../config/schema.ts";

// Loaded when a process has `watch`: most instances never need chokidar (4 modules) or picomatch.
const require = createRequire(import.meta.url);
const picomatch = (...args: Parameters<typeof picomatchType>) =>
  (require("picomatch") as typeof picomatchType)(...args);
const loadChokidar = () => require("chokidar") as typeof import("chokidar");

export interface WatchSpec {
  /** Absolute paths (files or folders) to watch. */
  paths: string[];
  settings: WatcherConfig;
  /** Called once per burst of changes, `settings.interval` ms after the last one. */
  onChange: (file: string) => void;
  onError: (message: string) => void;
}

/** Whether a changed file matters: its extension is listed, it matches `match` and not `skip`. */
export function fileMatcher(settings: WatcherConfig): (relativeFile: string) => boolean {
  const match = picomatch(settings.match, { dot: true });
  const skip = picomatch(settings.skip, { dot: true });
  const exts = new Set(settings.exts.map((e) => e.replace(/^\./, "").toLowerCase()));
  return (file) => {
    const normal = file.split(path.sep).join("/");
    const ext = path.extname(normal).slice(1).toLowerCase();
    if (exts.size > 0 && !exts.has(ext)) return false;
    return match(normal) && !skip(normal);
  };
}

/** Watches files for one process and reports debounced changes. */
export class FileWatcher {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastFile = "";

  constructor(private readonly spec: WatchSpec) {}

  start(): void {
    const matches = fileMatcher(this.spec.settings);
    const skip = picomatch(this.spec.settings.skip, { dot: true });
    const relative = (file: string) => {
      const root = this.spec.paths.find((p) => file === p || file.startsWith(p + path.sep));
      return root && root !== file ? path.relative(root, file) : path.basename(file);
    };
    this.watcher = loadChokidar().watch(this.spec.paths, {
      ignoreInitial: true,
      ignored: (file) => skip(relative(file).split(path.sep).join("/")) || skip(`${relative(file)}/`),
    });
    const changed = (file: string) => {
      if (!matches(relative(file))) return;
      this.lastFile = file;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.spec.onChange(this.lastFile), this.spec.settings.interval);
    };
    this.watcher.on("add", changed).on("change", changed).on("unlink", changed);
    this.watcher.on("error", (err) => this.spec.onError(`watcher: ${(err as Error).message}`));
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    await this.watcher?.close();
    this.watcher = undefined;
  }
}
