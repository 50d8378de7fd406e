import type { Identity } from "./token.ts";

/** A refusal or failure of the API: its HTTP status (0: no answer) and its `{error}` text. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** An action's failure as the operator should read it: a 403 names the token's scopes. */
export function actionMessage(
  action: string,
  id: string,
  err: unknown,
  identity: Identity | undefined,
): string {
  const what = `${action} ${id}`;
  if (err instanceof ApiError && err.status === 403) {
    const scopes = identity?.scopes?.join(", ") || "none";
    return `${what}: not allowed for this token (scopes: ${scopes}): ${err.message}`;
  }
  if (err instanceof ApiError && err.status === 401) return `${what}: the token was refused: ${err.message}`;
  return `${what}: ${(err as Error).message}`;
}
