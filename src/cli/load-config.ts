import { type LoadedConfig, loadConfig } from "../config/load.ts";
import { type ConfigFlags, locate } from "./config-flags.ts";

/** Find, parse and validate the configuration named by the flags (loads the validator). */
export function loadFromFlags(flags: ConfigFlags): LoadedConfig {
  return loadConfig(locate(flags));
}
