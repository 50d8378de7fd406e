import { UserError } from "../../common/errors.ts";

/** For commands whose implementation has not landed yet: a clear refusal instead of a crash. */
export function notYet(command: string): never {
  throw new UserError(`"pup ${command}" is not available in this version yet`);
}
