import { UserError } from "../common/errors.ts";

/*
 * Quoting for each service-file format. A value (a path, an environment variable, a user name)
 * must reach the service manager as exactly one value: never a second directive, never a
 * specifier or variable expanded behind the user's back.
 */

const PLAIN = /^[A-Za-z0-9_@+=:,./-]+$/;
/** Characters a line-based format cannot carry inside a value. */
const CONTROL = /[\x00-\x1f\x7f]/;

/** Refused before any file is written: `what` names the value for the one-line error. */
export function refuseControlCharacters(what: string, value: string, format: string): void {
  if (CONTROL.test(value)) {
    throw new UserError(`${what} contains a control character (newline, tab…), which ${format} cannot hold`);
  }
}

/** systemd's C-style escape of one character that may not appear as itself. */
function systemdEscape(char: string): string {
  switch (char) {
    case "\\":
      return "\\\\";
    case '"':
      return '\\"';
    case "\n":
      return "\\n";
    case "\t":
      return "\\t";
    case "\r":
      return "\\r";
    default:
      return `\\x${char.charCodeAt(0).toString(16).padStart(2, "0")}`;
  }
}

/**
 * A word of a systemd `ExecStart=` (with `dollar`) or `Environment=` assignment: `%` doubled (no
 * specifier), `$` doubled in command lines (no variable expansion), and anything but plain
 * characters inside double quotes with C escapes, so a newline stays inside the value.
 */
export function systemdWord(value: string, { dollar }: { dollar: boolean }): string {
  let text = value.replace(/%/g, "%%");
  if (dollar) text = text.replace(/\$/g, "$$$$");
  if (PLAIN.test(value)) return text;
  return `"${text.replace(/[\\"\x00-\x1f\x7f]/g, systemdEscape)}"`;
}

/**
 * A path setting such as `WorkingDirectory=`: systemd takes the rest of the line as the path
 * (quotes would become part of it), so only specifiers are escaped; what a line cannot hold is
 * refused.
 */
export function systemdPath(what: string, value: string): string {
  refuseControlCharacters(what, value, "a systemd unit");
  if (value !== value.trim()) {
    throw new UserError(`${what} starts or ends with a space, which a systemd unit cannot hold`);
  }
  return value.replace(/%/g, "%%");
}

/** Free text such as `Description=`: specifiers escaped, control characters made spaces. */
export function systemdText(value: string): string {
  return value.replace(/%/g, "%%").replace(/[\x00-\x1f\x7f]/g, " ");
}

export { shQuote } from "../common/shell-quote.ts";

/** An upstart stanza argument (`chdir`, `env`): double quotes with backslash escapes, one line. */
export function upstartQuote(what: string, value: string): string {
  refuseControlCharacters(what, value, "an upstart job");
  return PLAIN.test(value) ? value : `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Text in a property list: XML escapes; the control characters XML 1.0 cannot hold are refused. */
export function xmlText(what: string, value: string): string {
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f]/.test(value)) {
    throw new UserError(`${what} contains a control character, which a property list cannot hold`);
  }
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}
