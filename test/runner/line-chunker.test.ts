import assert from "node:assert/strict";
import { test } from "node:test";
import { countNewlines, type LineChunk, LineChunker } from "../../src/runner/line-splitter.ts";
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
