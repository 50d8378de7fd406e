/**
 * Errors a user can cause. The CLI prints their message as one line and exits 1; the API turns
 * them into `{ error }` with `status`. Anything else is a fault of ours and keeps its stack.
 */
export class UserError extends Error {
  readonly status: number;
  constructor(message: string, status = 400) {
    super(message);
    this.name = new.target.name;
    this.status = status;
  }
}

export class ConfigError extends UserError {}

export class UnknownProcessError extends UserError {
  constructor(readonly processId: string) {
    super(`unknown process "${processId}"`, 404);
  }
}

export class BlockedError extends UserError {
  constructor(readonly processId: string) {
    super(`process "${processId}" is blocked; unblock it first`, 409);
  }
}

export class InstanceRunningError extends UserError {
  constructor(
    readonly configPath: string,
    readonly pid: number,
  ) {
    super(`another pup instance (pid ${pid}) is already running for ${configPath}`, 409);
  }
}

export function isUserError(err: unknown): err is UserError {
  return err instanceof UserError;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
