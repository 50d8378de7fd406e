// Writes docs/pup.schema.json from the configuration schema (run `npm run build` first).
import { writeFileSync } from "node:fs";
import { configJsonSchemaText } from "../dist/config/json-schema.js";

const target = new URL("../docs/pup.schema.json", import.meta.url);
writeFileSync(target, configJsonSchemaText());
console.log("wrote docs/pup.schema.json");
