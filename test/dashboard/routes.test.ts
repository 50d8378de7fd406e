import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ApiInstance } from "../api/api-instance.ts";

describe("the dashboard's files, served without a token", () => {
  let api: ApiInstance;
  before(async () => {
    api = await ApiInstance.start({ processes: [{ id: "p", cmd: "sleep 1000" }] });
  });
  after(() => api.close());

  test("its three files are served; any other name is 404, including the names of an object's prototype", async () => {
    for (const file of ["", "app.js", "style.css"]) {
      const r = await api.call("GET", `/dashboard/${file}`, { token: null });
      assert.equal(r.status, 200, file);
    }
    for (const file of [
      "__proto__",
      "constructor",
      "toString",
      "hasOwnProperty",
      "secret.txt",
      "..%2Fpup.json",
    ]) {
      const r = await api.call("GET", `/dashboard/${file}`, { token: null });
      assert.equal(r.status, 404, `${file}: ${r.text}`);
      // Nothing about the install (a 500 named the file it tried to read).
      assert.deepEqual(r.body, { error: "not found" });
    }
  });
});
