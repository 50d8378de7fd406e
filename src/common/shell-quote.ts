/** Characters a POSIX shell word may hold unquoted. */
const PLAIN = /^[A-Za-z0-9_@+=:,./-]+$/;

/** A POSIX shell word: as it is when plain, else in single quotes, which keep everything literal. */
export function shQuote(value: string): string {
  return PLAIN.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
