#!/usr/bin/env node
import { cli } from "../dist/bundle/entry.js";

// Exit as soon as the command is done: stdout and stderr writes are synchronous for files and
// pipes on Linux, and a forgotten handle must never keep a finished `pup run` alive.
cli(process.argv.slice(2)).then(
  (code) => process.exit(typeof code === "number" ? code : 0),
  (err) => {
    process.stderr.write(`pup: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
