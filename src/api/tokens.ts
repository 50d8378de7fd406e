import { webcrypto } from "node:crypto";
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
  /** When the token stops being valid (its `exp`), in ms since the epoch. */
  expiresAtMs?: number;
}

/** Consumers named `telemetry-<id>` are the children of the instance, each with its own token. */
const CHILD_CONSUMER = /^telemetry-(.+)$/;

/** The consumer name of the token given to the child with this process id. */
export function childConsumer(processId: string): string {
  return `telemetry-${processId}`;
}

/**
 * The process a caller speaks for, when its token is a child's (consumer `telemetry-<id>`): such a
 * token may report telemetry for that process only, and hear only IPC events sent to it.
 */
export function boundProcess(caller: Caller): string | undefined {
  return CHILD_CONSUMER.exec(caller.consumer)?.[1];
}

const ALGORITHM = "HS512";
/** Verified tokens remembered at most; a client normally reuses one token for many requests. */
const MAX_REMEMBERED = 1024;

/** A refused token: the API answers 401 with this message. */
export class TokenError extends UserError {
  constructor(message: string) {
    super(message, 401);
  }
}

// jose is loaded with the first verification, and only the two modules used (the whole library
// takes twice as long): the CLI imports this module only to sign.
let jose: Promise<[typeof import("jose/jwt/verify"), typeof import("jose/errors")]> | undefined;
const loadJose = () => {
  jose ??= Promise.all([import("jose/jwt/verify"), import("jose/errors")]);
  return jose;
};

/**
 * Verifies the tokens of one instance: HS512 only, signed with its secret, not expired, with `exp`
 * and a consumer, and a consumer that is not revoked. The key is imported once. A token that
 * verified is remembered until its `exp`, so a client's every request after its first costs a
 * map lookup; revocation is checked on every request, remembered or not.
 *
 * A token that names the run of the instance it was issued by (the `run` claim of the children's
 * tokens) is valid only in that run: children never outlive their instance, so a child's token
 * found later, however long its `exp`, is refused.
 */
export class TokenVerifier {
  private key: Promise<webcrypto.CryptoKey> | undefined;
  private readonly verified = new Map<string, Caller & { expiresAtMs: number }>();
  private revoked: ReadonlySet<string>;

  constructor(
    private readonly secret: string,
    revoked: readonly string[] = [],
    private readonly run?: string,
  ) {
    this.revoked = new Set(revoked);
  }

  /** Replace the list of revoked consumers (`api.revoked` after a reload): applies at once. */
  setRevoked(revoked: readonly string[]): void {
    this.revoked = new Set(revoked);
  }

  /** The caller of a remembered, unexpired token (refused if revoked); undefined if not remembered. */
  remembered(token: string): Caller | undefined {
    const found = this.verified.get(token);
    if (found === undefined) return undefined;
    if (Date.now() >= found.expiresAtMs) {
      this.verified.delete(token);
      return undefined;
    }
    return this.admit(found);
  }

  async verify(token: string): Promise<Caller> {
    const caller = this.remembered(token);
    if (caller !== undefined) return caller;
    const [{ jwtVerify }, errors] = await loadJose();
    this.key ??= webcrypto.subtle.importKey(
      "raw",
      secretKey(this.secret),
      { name: "HMAC", hash: "SHA-512" },
      false,
      ["verify"],
    );
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, await this.key, {
        algorithms: [ALGORITHM],
        requiredClaims: ["exp"],
      }));
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new TokenError("Token expired");
      if (err instanceof errors.JWTClaimValidationFailed)
        throw new TokenError(`Invalid token: ${err.message}`);
      throw new TokenError("Invalid token");
    }
    if (payload.run !== undefined && payload.run !== this.run) {
      throw new TokenError("Invalid token: issued to a child of an earlier run of this instance");
    }
    // jose refuses a token once `exp <= now` in whole seconds: valid until exp * 1000 ms.
    const verified = { ...callerOf(payload), expiresAtMs: (payload.exp as number) * 1000 };
    this.remember(token, verified);
    return this.admit(verified);
  }

  private admit(caller: Caller): Caller {
    if (this.revoked.has(caller.consumer)) throw new TokenError("Revoked token");
    return caller;
  }

  private remember(token: string, caller: Caller & { expiresAtMs: number }): void {
    if (this.verified.size >= MAX_REMEMBERED) {
      // The oldest first: Map keeps insertion order.
      this.verified.delete(this.verified.keys().next().value!);
    }
    this.verified.set(token, caller);
  }
}

function callerOf(payload: Record<string, unknown>): Caller {
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
  return data.scopes === undefined
    ? { consumer: data.consumer }
    : { consumer: data.consumer, scopes: [...data.scopes] };
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
