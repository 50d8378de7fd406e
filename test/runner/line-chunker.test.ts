import assert from "node:assert/strict";
import { test } from "node:test";
import { LINE_CONTINUES, MAX_STORED_TEXT_BYTES } from "../../src/logs/stored-text.ts";
import {
  countNewlines,
  type LineChunk,
  LineChunker,
  MAX_LINE_BYTES,
} from "../../src/runner/line-splitter.ts";
import { LineSplitter } from "../helpers/line-splitter.ts";

/** The lines of the chunks, as strings. */
function texts(chunks: LineChunk[]): string[] {
  const lines: string[] = [];
  for (const c of chunks) {
    const parts = c.bytes.toString("utf8").split("\n");
    assert.equal(parts.pop(), "", "a chunk ends with a newline");
    assert.equal(parts.length, c.count, "count is the number of lines");
    lines.push(...parts);
  }
  return lines;
}

/** Feeds `input` in pieces cut at `cuts` to both splitters; they must give the same lines. */
function compare(input: Buffer, cuts: number[]): string[] {
  const splitter = new LineSplitter();
  const chunker = new LineChunker();
  const expected: string[] = [];
  const chunks: LineChunk[] = [];
  let from = 0;
  for (const cut of [...cuts, input.length]) {
    const piece = input.subarray(from, cut);
    from = cut;
    expected.push(...splitter.push(piece));
    chunks.push(...chunker.push(piece));
  }
  const last = splitter.end();
  if (last !== undefined) expected.push(last);
  const end = chunker.end();
  if (end) chunks.push(end);
  assert.deepEqual(texts(chunks), expected, `cuts ${cuts.join(",")}`);
  return expected;
}

test("line chunker: the same lines as the line splitter, however the stream is cut", () => {
  const inputs = [
    "plain\nlines\nonly\n",
    "hel" + "lo\r\nwor€\n\nlast",
    "a\r\r\nb\rc\nd\r",
    "10%\r20%\r100%\r\nnext\n\rA\rB\nCR first\r\r\n",
    "\r\n\r\r\nx\r",
    "ünïcödé 🐕 lines\n€€€\nend without newline 🐕",
    "\n\n\n",
    "no newline at all",
  ].map((s) => Buffer.from(s));
  // Invalid UTF-8: a lone continuation byte, a truncated sequence before a newline and at the end.
  inputs.push(Buffer.from([0x61, 0x80, 0x62, 0x0a, 0xe2, 0x82, 0x0a, 0x63, 0xe2, 0x82]));
  for (const input of inputs) {
    for (let a = 0; a <= input.length; a++) {
      compare(input, [a]);
      for (let b = a; b <= input.length; b += 3) compare(input, [a, b]);
    }
  }
  assert.deepEqual(compare(Buffer.from("x\r\ny"), [1]), ["x", "y"]);
  assert.deepEqual(compare(Buffer.from("1%\r50%\r99%\r100%\ndone\n"), [4, 9]), ["100%", "done"]);
  assert.deepEqual(compare(Buffer.from("bar 100%\r\n"), [8]), ["bar 100%"], "\r\n split between reads");
});

test("line chunker: a read's own lines are passed on without a copy; a line begun earlier is joined", () => {
  const chunker = new LineChunker();
  const first = Buffer.from("one\ntwo\nthr");
  const [a] = chunker.push(first);
  assert.equal(a.bytes.buffer, first.buffer, "a view of the read");
  assert.equal(a.count, 2);
  const second = Buffer.from("ee\nfour\nfive\nsi");
  const [joined, own] = chunker.push(second);
  assert.equal(joined.bytes.toString(), "three\n");
  assert.equal(own.bytes.buffer, second.buffer);
  assert.equal(own.bytes.toString(), "four\nfive\n");
  assert.equal(own.count, 2);
  assert.deepEqual(chunker.push(Buffer.from("x")), []);
  assert.equal(chunker.end()?.bytes.toString(), "six\n");
  assert.equal(chunker.end(), undefined);
  // A full 64 KiB read of a burst (longer than a line may be) still goes through without a copy.
  const burst = Buffer.from(`${"y".repeat(99)}\n`.repeat(656)).subarray(0, 65_536);
  const [lines] = new LineChunker().push(burst);
  assert.equal(lines.bytes.buffer, burst.buffer, "a view of the 64 KiB read");
  assert.equal(lines.count, 655);
  // So does one of short lines, whose first and last "\n" lie further apart than a line may be long.
  const short = Buffer.from("1234567\n".repeat(8192));
  const [view] = new LineChunker().push(short);
  assert.equal(view.bytes.buffer, short.buffer, "a view of a 64 KiB read of 8-byte lines");
  assert.equal(view.count, 8192);
});

test("countNewlines", () => {
  assert.equal(countNewlines(Buffer.from("")), 0);
  assert.equal(countNewlines(Buffer.from("abc")), 0);
  assert.equal(countNewlines(Buffer.from("\n")), 1);
  assert.equal(countNewlines(Buffer.from("a\n\nb\nc\n")), 4);
  const big = Buffer.from("x".repeat(99).concat("\n").repeat(1000));
  assert.equal(countNewlines(big), 1000);
  assert.equal(countNewlines(big.subarray(3, 250)), 2);
});

/** The text of cut pieces put back together, and each piece's size. */
function uncut(chunks: LineChunk[]): { text: string; sizes: number[] } {
  const lines = texts(chunks);
  const sizes = lines.map((l) => Buffer.byteLength(l));
  return {
    text: lines.map((l) => (l.endsWith(LINE_CONTINUES) ? l.slice(0, -LINE_CONTINUES.length) : l)).join(""),
    sizes,
  };
}

test("line chunker: 150 MB without a newline is passed on in marked pieces; it never holds more than one", () => {
  const chunker = new LineChunker();
  const read = Buffer.alloc(64 * 1024, "x");
  const chunks: LineChunk[] = [];
  let maxHeld = 0;
  let total = 0;
  for (total = 0; total < 150_000_000; total += read.length) {
    chunks.push(...chunker.push(read));
    maxHeld = Math.max(maxHeld, chunker.heldBytes);
  }
  chunks.push(...chunker.push(Buffer.from("end\nnext line\n")));
  const lines = texts(chunks);
  assert.ok(maxHeld <= MAX_LINE_BYTES, `held at most one piece (${maxHeld} bytes)`);
  assert.equal(lines[lines.length - 1], "next line");
  const { text, sizes } = uncut(chunks);
  assert.ok(Math.max(...sizes) <= MAX_STORED_TEXT_BYTES, "every piece fits the store whole");
  assert.ok(
    lines.slice(0, -2).every((l) => l.endsWith(LINE_CONTINUES)),
    "every piece but the last is marked",
  );
  assert.ok(!lines[lines.length - 2].endsWith(LINE_CONTINUES), "the last piece is not");
  assert.equal(text, `${"x".repeat(total)}endnext line`, "nothing lost");
});

test("line chunker: a long line is cut between characters, whatever the reads", () => {
  const line = "é🐕".repeat(30_000); // 180 000 bytes
  for (const size of [1000, 65_536, 200_000]) {
    const chunker = new LineChunker();
    const input = Buffer.from(`${line}\nshort\n`);
    const chunks: LineChunk[] = [];
    for (let i = 0; i < input.length; i += size) chunks.push(...chunker.push(input.subarray(i, i + size)));
    const lines = texts(chunks);
    assert.equal(lines.length, 4, `reads of ${size}`);
    assert.ok(
      lines.every((l) => !l.includes("\uFFFD")),
      "no character split",
    );
    assert.equal(uncut(chunks).text, `${line}short`);
  }
});

test("line chunker: a line redrawn with \\r reports its states, at most one per interval, and ends in its final state", async () => {
  const updates: string[] = [];
  const chunker = new LineChunker({ onUpdate: (t) => updates.push(t), updateIntervalMs: 50 });
  for (let i = 1; i <= 1000; i++) assert.deepEqual(chunker.push(Buffer.from(`progress ${i}\r`)), []);
  assert.deepEqual(updates, ["progress 1"], "the first state at once");
  await new Promise((r) => setTimeout(r, 120));
  // The 1000th "\r" is only known not to be a "\r\n" once the next byte comes.
  assert.deepEqual(updates, ["progress 1", "progress 999"], "then the latest one after the interval");
  // The interval is over: "progress 1000" goes at once, "progress 1001" waits and is superseded.
  chunker.push(Buffer.from("progress 1001\rdone"));
  assert.deepEqual(texts(chunker.push(Buffer.from("\n"))), ["done"]);
  await new Promise((r) => setTimeout(r, 120));
  assert.deepEqual(updates, ["progress 1", "progress 999", "progress 1000"], "nothing after the line ended");
  assert.equal(chunker.heldBytes, 0);
});
