// `npm run docs`: writes the reference documents from their sources (run `npm run build` first:
// the API reference comes from a running instance). A test fails when they are stale.
import { writeFileSync } from "node:fs";
import { configJsonSchemaText } from "../../src/config/json-schema.ts";
import { renderApi } from "./api.ts";
import { renderCli } from "./cli.ts";
import { renderConfiguration } from "./configuration.ts";
import { fetchOpenApi } from "./openapi.ts";

/** Each generated file, relative to the repository, with its text. */
export async function referenceDocs(): Promise<Array<[string, string]>> {
  return [
    ["docs/pup.schema.json", configJsonSchemaText()],
    ["docs/configuration.md", renderConfiguration()],
    ["docs/cli.md", renderCli()],
    ["docs/api.md", renderApi(await fetchOpenApi())],
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [file, text] of await referenceDocs()) {
    writeFileSync(new URL(`../../${file}`, import.meta.url), text);
    console.log(`wrote ${file}`);
  }
}
