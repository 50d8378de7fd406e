import { readSecret } from "../../api/secret.ts";
import { signToken } from "../../api/sign.ts";
import { UserError } from "../../common/errors.ts";
import type { ConfigFlags } from "../config-flags.ts";
import { withInstance } from "./control.ts";

/** `dashboard`: print the address of the running instance's web dashboard, with a token in it. */
export async function dashboardCommand(flags: ConfigFlags & { expireIn?: string }): Promise<number> {
  const expiresIn = Number(flags.expireIn ?? 43_200);
  if (!(Number.isFinite(expiresIn) && expiresIn > 0)) {
    throw new UserError(`--expire-in: expected a positive number of seconds, got "${flags.expireIn}"`);
  }
  return withInstance(flags, async ({ client, paths, url }) => {
    await client.state();
    const token = signToken(readSecret(paths.secretFile)!, {
      consumer: "dashboard",
      expiresIn,
      scopes: ["read", "control"],
    });
    process.stdout.write(`${url}/dashboard/#token=${token}\n`);
    return 0;
  });
}
