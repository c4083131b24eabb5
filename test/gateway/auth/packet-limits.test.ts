import { describe, expect, it } from "vitest";
import { PacketSizeGuard } from "../../../gateway/auth/packet-limits.ts";

const packet = (bodyLength: number) => {
  const len: number[] = [];
  let n = bodyLength;
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    len.push(b);
  } while (n > 0);
  return Buffer.concat([Buffer.from([0x30, ...len]), Buffer.alloc(bodyLength)]);
};

describe("PacketSizeGuard", () => {
  it("passes packets up to the limit, split anywhere across chunks", () => {
    const guard = new PacketSizeGuard(1000);
    const stream = Buffer.concat([packet(10), packet(200), packet(997 - 2)]);
    for (let i = 0; i < stream.length; i += 7) expect(guard.check(stream.subarray(i, i + 7))).toBeNull();
  });

  it("reports the first packet over the limit from its header alone", () => {
    const guard = new PacketSizeGuard(1000);
    expect(guard.check(packet(10))).toBeNull();
    expect(guard.check(packet(5000).subarray(0, 3))).toBe(5003);
  });

  it("reports a remaining length longer than 4 bytes as malformed", () => {
    expect(new PacketSizeGuard(1000).check(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff]))).toBe(
      Number.POSITIVE_INFINITY,
    );
  });
});
