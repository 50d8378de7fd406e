import { createHmac } from "node:crypto";
import { UserError } from "../common/errors.ts";
import type { Scope } from "./scopes.ts";

export interface TokenRequest {
  consumer: string;
  /** Lifetime in seconds, > 0. */
  expiresIn: number;
  scopes?: Scope[];
  /** The instance run the token is valid in (children's tokens): refused by any other run. */
  run?: string;
}

const HEADER = Buffer.from(JSON.stringify({ alg: "HS512", typ: "JWT" })).toString("base64url");

/**
 * Sign `{data: {consumer, scopes?}, exp, run?}` as an HS512 JWT with the instance secret (its text's
 * UTF-8 bytes, as in Pup). Signing is one HMAC over our own JSON, done with node:crypto so that the
 * CLI starts fast; verifying untrusted tokens is left to jose (tokens.ts).
 */
export function signToken(secret: string, request: TokenRequest): string {
  const { consumer, expiresIn, scopes, run } = request;
  if (!consumer) throw new UserError("a token needs a consumer name");
  if (!(Number.isFinite(expiresIn) && expiresIn > 0)) {
    throw new UserError(`a token's lifetime must be a positive number of seconds, got ${expiresIn}`);
  }
  const data = scopes ? { consumer, scopes } : { consumer };
  const exp = Math.floor(Date.now() / 1000) + Math.ceil(expiresIn);
  const claims = run === undefined ? { data, exp } : { data, exp, run };
  const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
  const signature = createHmac("sha512", Buffer.from(secret, "utf8"))
    .update(`${HEADER}.${payload}`)
    .digest("base64url");
  return `${HEADER}.${payload}.${signature}`;
}
