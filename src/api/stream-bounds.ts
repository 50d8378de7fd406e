/**
 * Which subscribers to disconnect so that the bytes waiting for all of them come back under
 * `cap`: the ones with the most unsent first (the slowest readers), as few as will do. A reader
 * that keeps up has little or nothing unsent, and is the last to go.
 */
export function overCap<T>(
  buffered: ReadonlyArray<{ s: T; bytes: number }>,
  cap: number,
): Array<{ s: T; bytes: number }> {
  let total = 0;
  for (const b of buffered) total += b.bytes;
  const dropped: Array<{ s: T; bytes: number }> = [];
  for (const b of [...buffered].sort((x, y) => y.bytes - x.bytes)) {
    if (total <= cap || b.bytes === 0) break;
    dropped.push(b);
    total -= b.bytes;
  }
  return dropped;
}
