/** What a token may do (SPEC §5.1); a token without scopes may do everything. */
export const SCOPES = ["read", "control", "terminate", "log", "telemetry"] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}
