import { errors, jwtVerify } from "jose";
import { UserError } from "../common/errors.ts";
import { isScope, SCOPES, type Scope } from "./scopes.ts";
import { secretKey } from "./secret.ts";

export { isScope, SCOPES, type Scope } from "./scopes.ts";
export { signToken, type TokenRequest } from "./sign.ts";

/** Who is calling, from a verified token. */
export interface Caller {
  consumer: string;
  /** Undefined: every scope. */
  scopes?: string[];
}

const ALGORITHM = "HS512";

/** A refused token: the API answers 401 with this message. */
export class TokenError extends UserError {
  constructor(message: string) {
    super(message, 401);
  }
}

/**
 * Verify a token: HS512 only, signed with this secret, not expired, with `exp` and a consumer,
 * and a consumer that is not revoked.
 */
export async function verifyToken(
  secret: string,
  token: string,
  revoked: readonly string[] = [],
): Promise<Caller> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, secretKey(secret), {
      algorithms: [ALGORITHM],
      requiredClaims: ["exp"],
    }));
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw new TokenError("Token expired");
    if (err instanceof errors.JWTClaimValidationFailed) throw new TokenError(`Invalid token: ${err.message}`);
    throw new TokenError("Invalid token");
  }
  const data = payload.data as Partial<Caller> | undefined;
  if (!data || typeof data.consumer !== "string" || data.consumer.length === 0) {
    throw new TokenError("Invalid token: no consumer");
  }
  if (
    data.scopes !== undefined &&
    !(Array.isArray(data.scopes) && data.scopes.every((s) => typeof s === "string"))
  ) {
    throw new TokenError("Invalid token: scopes must be a list of names");
  }
  if (revoked.includes(data.consumer)) throw new TokenError("Revoked token");
  return data.scopes === undefined
    ? { consumer: data.consumer }
    : { consumer: data.consumer, scopes: data.scopes };
}

export function allows(caller: Caller, scope: Scope): boolean {
  return caller.scopes === undefined || caller.scopes.includes(scope);
}

/** `--scope a,b`: the scopes named, or a UserError naming the unknown one. */
export function parseScopes(list: string): Scope[] {
  const names = list
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new UserError(`--scope: no scope given (choose from ${SCOPES.join(", ")})`);
  for (const name of names) {
    if (!isScope(name))
      throw new UserError(`--scope: unknown scope "${name}" (choose from ${SCOPES.join(", ")})`);
  }
  return [...new Set(names)] as Scope[];
}
