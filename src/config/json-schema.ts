import { z } from "zod";
import { configSchema } from "./schema.ts";

/** The JSON Schema of pup.json, generated from the same definition as the validator. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: "input", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return {
    $schema: schema.$schema,
    $id: "pup.schema.json",
    title: "pup configuration",
    ...schema,
  };
}

/** The text of docs/pup.schema.json. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
