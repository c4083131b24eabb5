/**
 * Follows MQTT fixed headers across TCP chunks (MQTT 3.1.1 §2.2: one type byte, then the Remaining Length
 * in 1–4 bytes of 7 bits with a continuation bit) and reports the first packet larger than `maxBytes`.
 * aedes 1.2 and mqtt-packet 9 have no packet size limit: the parser would buffer a packet of any declared
 * length (up to 256 MB) before looking at it. Pure: the broker feeds it each chunk before the parser.
 */
export class PacketSizeGuard {
  #state: "type" | "length" | "body" = "type";
  #length = 0;
  #multiplier = 1;
  #lengthBytes = 0;
  #left = 0;

  constructor(readonly maxBytes: number) {}

  /** The size of a packet over the limit (Infinity for a malformed length), or null when all is well. */
  check(chunk: Uint8Array): number | null {
    let i = 0;
    while (i < chunk.length) {
      if (this.#state === "body") {
        const n = Math.min(this.#left, chunk.length - i);
        this.#left -= n;
        i += n;
        if (this.#left === 0) this.#state = "type";
        continue;
      }
      const byte = chunk[i++] as number;
      if (this.#state === "type") {
        this.#state = "length";
        this.#length = 0;
        this.#multiplier = 1;
        this.#lengthBytes = 0;
        continue;
      }
      const over = this.#lengthByte(byte);
      if (over !== null) return over;
    }
    return null;
  }

  #lengthByte(byte: number): number | null {
    this.#length += (byte & 0x7f) * this.#multiplier;
    this.#multiplier *= 128;
    this.#lengthBytes++;
    if ((byte & 0x80) !== 0) return this.#lengthBytes >= 4 ? Number.POSITIVE_INFINITY : null; // §2.2.3
    const total = 1 + this.#lengthBytes + this.#length;
    if (total > this.maxBytes) return total;
    this.#left = this.#length;
    this.#state = this.#length > 0 ? "body" : "type";
    return null;
  }
}
