import type { Command } from "commander";
import { addConfigFlags } from "../config-flags.ts";
import type { ExitCode } from "../main.ts";
import { notYet } from "./not-yet.ts";

/** `logs` (from the store, works while the instance is down) and `monitor` (live). */
export function registerLogCommands(program: Command, _exit: ExitCode): void {
  addConfigFlags(program.command("logs").description("print stored log entries, oldest first"))
    .option("--id <id>", "only this process")
    .option("--severity <severity>", "only this severity (log, info, warn, error)")
    .option("-n <n>", "the newest n entries")
    .option("--start <iso>", "entries from this time")
    .option("--end <iso>", "entries up to this time")
    .action(() => notYet("logs"));
  addConfigFlags(program.command("monitor").description("stream new log entries live until Ctrl+C"))
    .option("--id <id>", "only this process")
    .option("--severity <severity>", "only this severity")
    .action(() => notYet("monitor"));
}
