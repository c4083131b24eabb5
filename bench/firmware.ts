import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import pino from "pino";
import type { Channel } from "../firmware/counter-source.ts";
import { openFirmata } from "../firmware/io-plugins.ts";
import { JohnnyFiveCounterSource } from "../firmware/johnny-five-counter-source.ts";
import { FirmataDevice } from "../sim/hardware/firmata-device.ts";
import { PtyPair } from "../sim/hardware/pty-pair.ts";

/**
 * Firmware input benchmark (issue 3: "the highest pulse rate per input counted without loss through Firmata
 * over a pty; goal ≥ 50 pulses/s per input with 4 inputs"). Two emulated StandardFirmata boards on socat
 * pty pairs, each with a good and a reject photo-eye (4 inputs), counted by the real JohnnyFiveCounterSource
 * (johnny-five + firmata-io + serialport 13). For each rate the emulators pulse every input evenly for a few
 * seconds; the rate passes when every pulse is counted within 1 s after the last one (the firmware keeps up;
 * a growing backlog would mean it cannot). Run: `npm run bench -- firmware [--quick]`.
 *
 * A pty has no baud rate: this measures the software path. On a real board at 57,600 baud the wire carries
 * ~5,760 bytes/s, and a pulse is two 3-byte port reports: ~960 pulses/s per board in total.
 */
export interface FirmwareBenchRow {
  perInput: number;
  inputs: number;
  sent: number;
  counted: number;
  /** ms from the last pulse until the last count. */
  lagMs: number;
  ok: boolean;
}

export interface FirmwareBenchResult {
  scenario: "firmware-firmata-pty";
  inputs: number;
  rows: FirmwareBenchRow[];
  /** Highest rate per input counted without loss. */
  maxPerInput: number;
  goalPerInput: 50;
  meetsGoal: boolean;
}

const RATES = [50, 100, 200, 400, 800, 1600, 3200, 6400, 12_800, 25_600];
const log = pino({ level: "silent" });

interface Board {
  pair: PtyPair;
  device: FirmataDevice;
  source: JohnnyFiveCounterSource;
  counts: Record<Channel, number>;
}

async function openBoard(dir: string, name: string): Promise<Board> {
  const pair = await PtyPair.open(dir, name);
  const device = await FirmataDevice.open({ path: pair.devicePath });
  const counts: Record<Channel, number> = { good: 0, reject: 0 };
  const source = new JohnnyFiveCounterSource({
    openIo: () => openFirmata(pair.hostPath),
    inputs: { good: { pin: 2 }, reject: { pin: 3 } },
    log,
  });
  await source.start({
    count: (c, n) => {
      counts[c] += n;
    },
    run: () => {},
    sensor: () => {},
  });
  return { pair, device, source, counts };
}

async function measure(boards: Board[], perInput: number, seconds: number): Promise<FirmwareBenchRow> {
  for (const b of boards) b.counts.good = b.counts.reject = 0;
  const inputs = boards.length * 2;
  let sent = 0;
  let done = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = Math.min(performance.now() - t0, seconds * 1000);
      const due = Math.floor((elapsed / 1000) * perInput);
      for (; done < due; done++) {
        for (const b of boards) for (const pin of [2, 3]) if (b.device.pulse(pin)) sent += 1;
      }
      if (elapsed >= seconds * 1000) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
  });
  const end = performance.now();
  const counted = () => boards.reduce((n, b) => n + b.counts.good + b.counts.reject, 0);
  while (counted() < sent && performance.now() - end < 3000) await new Promise((r) => setTimeout(r, 5));
  const lagMs = Math.round(performance.now() - end);
  return { perInput, inputs, sent, counted: counted(), lagMs, ok: counted() === sent && lagMs <= 1000 };
}

export async function run(opts: { quick?: boolean } = {}): Promise<FirmwareBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), "masktally-bench-fw-"));
  const boards: Board[] = [];
  try {
    for (const name of ["board-a", "board-b"]) boards.push(await openBoard(dir, name));
    const rows: FirmwareBenchRow[] = [];
    // --quick: every third rate of the ladder, so the whole quick bench fits its 3-minute budget.
    for (const rate of opts.quick ? RATES.filter((_, i) => i % 3 === 0) : RATES) {
      const row = await measure(boards, rate, opts.quick ? 2 : 5);
      rows.push(row);
      if (!row.ok) break;
    }
    const maxPerInput = Math.max(0, ...rows.filter((r) => r.ok).map((r) => r.perInput));
    return {
      scenario: "firmware-firmata-pty",
      inputs: boards.length * 2,
      rows,
      maxPerInput,
      goalPerInput: 50,
      meetsGoal: maxPerInput >= 50,
    };
  } finally {
    for (const b of boards) {
      await b.source.stop();
      await b.device.close();
      await b.pair.close();
    }
    await rm(dir, { recursive: true, force: true });
  }
}

export function report(result: unknown): string {
  const r = result as FirmwareBenchResult;
  const lines = [
    `firmware: Firmata over a pty, ${r.inputs} inputs (2 boards × good/reject)`,
    "pulses/s per input | sent   | counted | lag ms | ok",
    ...r.rows.map(
      (x) =>
        `${String(x.perInput).padStart(18)} | ${String(x.sent).padStart(6)} | ${String(x.counted).padStart(7)} | ${String(x.lagMs).padStart(6)} | ${x.ok ? "yes" : "NO"}`,
    ),
    `highest rate counted without loss: ${r.rows.every((x) => x.ok) ? "at least " : ""}${r.maxPerInput} pulses/s per input (goal ≥ ${r.goalPerInput}: ${r.meetsGoal ? "met" : "NOT met"})`,
    "(a pty has no baud rate; a real board at 57,600 baud carries ~960 pulses/s in total)",
  ];
  return lines.join("\n");
}
