import type { Command, Option } from "commander";
import { buildProgram } from "../../src/cli/main.ts";
import { banner, code, table } from "./markdown.ts";

/* docs/cli.md from the command definitions in src/cli/main.ts: every command, argument and flag. */

function optionRows(options: readonly Option[]): string[][] {
  return options.map((o) => {
    const notes: string[] = [];
    if (o.argChoices) notes.push(`one of ${o.argChoices.map((c) => code(c)).join(", ")}`);
    if (o.mandatory) notes.push("required");
    if (o.defaultValue !== undefined && !o.negate)
      notes.push(`default ${code(JSON.stringify(o.defaultValue))}`);
    return [code(o.flags), [o.description, ...notes].join("; ")];
  });
}

function commandSection(command: Command): string {
  const usage = `pup ${command.name()} ${command.usage()}`.trim();
  const parts = [`## \`pup ${command.name()}\``, "", command.description(), "", "```", usage, "```", ""];
  if (command.registeredArguments.length > 0) {
    const args = command.registeredArguments.map((a) => [
      code(a.variadic ? `${a.name()}...` : a.name()),
      `${a.description}${a.required ? "" : " (optional)"}`,
    ]);
    parts.push(table(["argument", "meaning"], args), "");
  }
  const options = [...command.options];
  if (options.length > 0) parts.push(table(["flag", "meaning"], optionRows(options)), "");
  return parts.join("\n");
}

export function renderCli(): string {
  const program = buildProgram({ code: 0 });
  const commands = program.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
  const global = [...program.options];
  return [
    banner("Command-line reference", "the command definitions in src/cli/main.ts"),
    `${program.description()}. Every command exits 0 on success and 1 on any failure, with a one-line ` +
      "reason on stderr. The commands that address an instance find it by `-c, --config PATH`, or " +
      "`-d, --cwd DIR` (the folder it works in: its `pup.jsonc` or `pup.json`, or the instance run there " +
      "without a configuration file by `pup run -- CMD`); default: the current folder.",
    "",
    "```",
    `pup ${program.usage()}`,
    "```",
    "",
    table(
      ["flag", "meaning"],
      [...optionRows(global), [code("-h, --help"), "show help (also after a command)"]],
    ),
    "",
    table(
      ["command", "does"],
      commands.map((c) => [`[${code(c.name())}](#pup-${c.name()})`, c.description()]),
    ),
    "",
    ...commands.map(commandSection),
  ].join("\n");
}
