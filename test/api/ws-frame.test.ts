import assert from "node:assert/strict";
import { test } from "node:test";
import * as ws from "ws";
import { textFrame } from "../../src/api/ws-frame.ts";

/** ws's own parser, as a client uses it (not in its type definitions). */
const { Receiver } = ws as unknown as {
  Receiver: new (options: {
    isServer: boolean;
  }) => NodeJS.WritableStream & {
    on(event: "message", listener: (data: Buffer, isBinary: boolean) => void): void;
  };
};

test("textFrame: a frame ws reads back as the same text, for every length encoding", () => {
  for (const length of [0, 1, 125, 126, 65_535, 65_536, 200_000]) {
    const text = "é".repeat(Math.floor(length / 2)) + "x".repeat(length % 2);
    const frame = textFrame(Buffer.from(text));
    assert.equal(frame[0], 0x81, "FIN, text");
    const received: Array<[string, boolean]> = [];
    const receiver = new Receiver({ isServer: false });
    receiver.on("message", (data, isBinary) => received.push([String(data), isBinary]));
    receiver.write(frame);
    assert.deepEqual(received, [[text, false]], `length ${length}`);
  }
});
