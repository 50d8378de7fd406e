/**
 * One unfragmented WebSocket text frame as a server sends it (RFC 6455 §5.2: FIN, opcode 1, no
 * mask, the payload length in 7, 7+16 or 7+64 bits), header and payload in one buffer. The event
 * stream makes each message's frame once and writes the same bytes to every subscriber.
 */
export function textFrame(payload: Buffer): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x81;
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  payload.copy(frame, headerLength);
  return frame;
}
