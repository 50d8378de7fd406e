import type { Scope } from "../../api/scopes.ts";
import { ensureSecret } from "../../api/secret.ts";
import { signToken } from "../../api/sign.ts";
import { UserError } from "../../common/errors.ts";
import { instancePaths } from "../../instance/paths.ts";
import { type ConfigFlags, resolveInstancePath } from "../config-flags.ts";

/** Without --expire-in a token lives this long (every token must expire; said on stderr). */
export const DEFAULT_EXPIRE_IN = 30 * 24 * 3600;

export interface TokenFlags extends ConfigFlags {
  consumer?: string;
  expireIn?: string;
  scope?: string;
}

export function parseExpireIn(value: string): number {
  const seconds = Number(value);
  if (!/^\s*\d+(\.\d+)?\s*$/.test(value) || !(seconds > 0)) {
    throw new UserError(`--expire-in: expected a positive number of seconds, got "${value}"`);
  }
  return seconds;
}

/** Sign a token with the configuration's instance secret (created on first use) and print it alone on stdout. */
export async function tokenCommand(flags: TokenFlags): Promise<number> {
  const consumer = flags.consumer?.trim();
  if (!consumer) throw new UserError("--consumer NAME is required: who the token is for");
  const expiresIn = flags.expireIn === undefined ? DEFAULT_EXPIRE_IN : parseExpireIn(flags.expireIn);
  // tokens.ts loads jose (for verifying); only --scope needs it here.
  const scopes: Scope[] | undefined =
    flags.scope === undefined ? undefined : (await import("../../api/tokens.ts")).parseScopes(flags.scope);
  const { secretFile } = instancePaths(resolveInstancePath(flags));
  const token = signToken(ensureSecret(secretFile), { consumer, expiresIn, scopes });
  if (flags.expireIn === undefined) {
    process.stderr.write(
      `pup: no --expire-in given; the token expires in ${DEFAULT_EXPIRE_IN / 86400} days\n`,
    );
  }
  process.stdout.write(`${token}\n`);
  return 0;
}
