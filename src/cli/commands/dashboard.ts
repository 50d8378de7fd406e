import { readSecret } from "../../api/secret.ts";
import { signToken } from "../../api/tokens.ts";
import { ApiUnreachableError } from "../../client/client.ts";
import { localInstance, NoInstanceError } from "../../client/local.ts";
import { UserError } from "../../common/errors.ts";
import type { ConfigFlags } from "../config-flags.ts";
import { loadFromFlags } from "../load-config.ts";

/** `dashboard`: print the address of the running instance's web dashboard, with a token in it. */
export async function dashboardCommand(flags: ConfigFlags & { expireIn?: string }): Promise<number> {
  const expiresIn = Number(flags.expireIn ?? 43_200);
  if (!(Number.isFinite(expiresIn) && expiresIn > 0)) {
    throw new UserError(`--expire-in: expected a positive number of seconds, got "${flags.expireIn}"`);
  }
  const { path: configPath, config } = loadFromFlags(flags);
  const local = await localInstance(configPath, config, { timeoutMs: 3000 });
  try {
    await local.client.state();
  } catch (err) {
    if (err instanceof ApiUnreachableError) throw new NoInstanceError(configPath);
    throw err;
  }
  const token = await signToken(readSecret(local.paths.secretFile)!, {
    consumer: "dashboard",
    expiresIn,
    scopes: ["read", "control"],
  });
  process.stdout.write(`${local.url}/dashboard/#token=${token}\n`);
  return 0;
}
