import type { Command } from "commander";
import { addConfigFlags } from "../config-flags.ts";
import type { ExitCode } from "../main.ts";
import { notYet } from "./not-yet.ts";

/** `token`: print a new API token for a consumer. */
export function registerTokenCommand(program: Command, _exit: ExitCode): void {
  addConfigFlags(program.command("token").description("print a new API token (the JWT alone on stdout)"))
    .option("--consumer <name>", "who the token is for")
    .option("--expire-in <seconds>", "lifetime in seconds")
    .option("--scope <list>", "comma-separated scopes: read,control,terminate,log,telemetry")
    .action(() => notYet("token"));
}
