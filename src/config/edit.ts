import { writeFileAtomic } from "../common/atomic-write.ts";
import { ConfigError } from "../common/errors.ts";
import { appendProcessText, newConfigText, removeProcessText, UneditableTextError } from "./edit-text.ts";
import { suggestion } from "./errors.ts";
import { fileLabel, parseConfig, readConfigText, requireProcesses } from "./load.ts";
import type { ProcessConfigInput, PupConfig } from "./schema.ts";

/**
 * `init`, `append` and `remove` (SPEC §8.7): the file's text is edited in place (edit-text.ts),
 * the result is checked by the same validator as `pup run` uses, and only then written, atomically.
 * A refused change writes nothing.
 */

function fsError(file: string, err: unknown): ConfigError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "EEXIST")
    return new ConfigError(`${fileLabel(file)} already exists; use "pup append" to add a process`);
  if (code === "ECHANGED")
    return new ConfigError(
      `${fileLabel(file)} was changed by someone else meanwhile; nothing written, try again`,
    );
  return new ConfigError(`${fileLabel(file)}: cannot write: ${code ?? err}`);
}

/** Validate `next` as `pup run` would, then put it in place of `previous`. */
function commitText(file: string, next: string, previous: string | undefined): void {
  const label = fileLabel(file);
  requireProcesses(parseConfig(next, label), label);
  try {
    writeFileAtomic(file, next, previous === undefined ? { exclusive: true } : { expect: previous });
  } catch (err) {
    throw fsError(file, err);
  }
}

function editText(file: string, edit: () => string): string {
  try {
    return edit();
  } catch (err) {
    if (err instanceof UneditableTextError) throw new ConfigError(`${fileLabel(file)}: ${err.message}`);
    throw err;
  }
}

/** Strip the file name from a validator message about the edited file: the caller adds context. */
function problemsOf(err: ConfigError, label: string): string {
  const prefix = `${label}: `;
  return err.message
    .split("; ")
    .map((line) => (line.startsWith(prefix) ? line.slice(prefix.length) : line))
    .join("; ");
}

export function initConfig(file: string, proc: ProcessConfigInput, name?: string): void {
  const config = { ...(name ? { name } : {}), processes: [proc] };
  commitText(file, newConfigText(config), undefined);
}

export function appendProcess(file: string, proc: ProcessConfigInput): void {
  const text = readConfigText(file);
  // The file must be valid as it is: a problem it already has is reported as the file's own.
  parseConfig(text, fileLabel(file));
  commitText(
    file,
    editText(file, () => appendProcessText(text, proc)),
    text,
  );
}

function findProcess(file: string, config: PupConfig, id: string): number {
  const index = config.processes.findIndex((p) => p.id.toLowerCase() === id.toLowerCase());
  if (index >= 0) return index;
  const ids = config.processes.map((p) => p.id);
  throw new ConfigError(`${fileLabel(file)}: no process with id "${id}"${suggestion(id, ids)}`);
}

/** Remove the process `id` (any case); returns its id as the file spelt it. */
export function removeProcess(file: string, id: string): string {
  const label = fileLabel(file);
  const text = readConfigText(file);
  const current = parseConfig(text, label);
  const index = findProcess(file, current, id);
  const own = current.processes[index].id;
  if (current.processes.length === 1) {
    throw new ConfigError(
      `${label}: cannot remove "${own}": it is the only process and pup run needs at least one (append another first, or delete the file)`,
    );
  }
  const next = editText(file, () => removeProcessText(text, index));
  try {
    commitText(file, next, text);
  } catch (err) {
    if (!(err instanceof ConfigError) || err.message.startsWith(`${label} `)) throw err;
    throw new ConfigError(`${label}: cannot remove "${own}": ${problemsOf(err, label)}`);
  }
  return own;
}
