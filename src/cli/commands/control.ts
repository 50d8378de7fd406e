import type { Command } from "commander";
import { addConfigFlags } from "../config-flags.ts";
import type { ExitCode } from "../main.ts";
import { notYet } from "./not-yet.ts";

/** `status`, `start|stop|restart|block|unblock <id|all>`, `terminate`: over the running instance's API. */
export function registerControlCommands(program: Command, _exit: ExitCode): void {
  addConfigFlags(program.command("status").description("show the instance and its processes"))
    .option("--json", "print the state object of GET /state")
    .action(() => notYet("status"));
  for (const action of ["start", "stop", "restart", "block", "unblock"]) {
    addConfigFlags(
      program
        .command(action)
        .description(`${action} a process (or all) of the running instance`)
        .argument("<id>", 'process id, cluster id, or "all"'),
    ).action(() => notYet(action));
  }
  addConfigFlags(program.command("terminate").description("stop every process and end the instance")).action(
    () => notYet("terminate"),
  );
}
