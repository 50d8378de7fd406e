/** Who the page acts as, read from the token it holds (for display: the instance verifies). */
export interface Identity {
  consumer: string;
  /** Undefined: the token has every scope (SPEC §5.1). */
  scopes: string[] | undefined;
  /** Seconds since the epoch. */
  expires: number | undefined;
}

/** The consumer, scopes and expiry in a pup JWT's payload; undefined if it is not a readable JWT. */
export function identityOf(token: string): Identity | undefined {
  const payload = token.split(".")[1];
  if (!payload) return undefined;
  try {
    const base64 = payload.replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes)) as {
      data?: { consumer?: unknown; scopes?: unknown };
      exp?: unknown;
    };
    const { consumer, scopes } = claims.data ?? {};
    if (typeof consumer !== "string") return undefined;
    return {
      consumer,
      scopes: Array.isArray(scopes) ? scopes.filter((s): s is string => typeof s === "string") : undefined,
      expires: typeof claims.exp === "number" ? claims.exp : undefined,
    };
  } catch {
    return undefined;
  }
}

/** Whether the identity holds a scope. An unreadable token is let try: the instance decides. */
export function allows(identity: Identity | undefined, scope: string): boolean {
  return !identity?.scopes || identity.scopes.includes(scope);
}
