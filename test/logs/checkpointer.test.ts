import assert from "node:assert/strict";
import path from "node:path";
import { after, test } from "node:test";
import { Checkpointer } from "../../src/logs/checkpointer.ts";
import { tempDir } from "../helpers/tmp.ts";

const { dir, cleanup } = tempDir("pup-checkpointer-");
after(cleanup);

test("a checkpoint worker that cannot open the store is reported once; checkpoints then run on the calling thread", async () => {
  const errors: string[] = [];
  let fallbacks = 0;
  const checkpointer = new Checkpointer(
    path.join(dir, "missing", "logs.db"),
    () => {
      fallbacks++;
      return { log: 3, checkpointed: 3 };
    },
    (message) => errors.push(message),
  );
  try {
    assert.deepEqual(await checkpointer.run(), { log: 3, checkpointed: 3 });
    assert.deepEqual(await checkpointer.run(), { log: 3, checkpointed: 3 });
    assert.equal(fallbacks, 2);
    assert.equal(errors.length, 1, errors.join("\n"));
    assert.match(errors[0], /cannot checkpoint the log store .*logs\.db on a worker thread/);
  } finally {
    await checkpointer.close();
  }
});
