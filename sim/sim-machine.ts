import type { LineKey } from "../protocol/index.ts";
import type { Ledger } from "./ledger.ts";
import type { LineModel } from "./line-model.ts";
import type { PinDriver } from "./pin-driver.ts";

/** Where the simulated machine is wired on the SimIO board. */
export interface SimWiring {
  good: number | string;
  reject: number | string;
  run: number | string;
  /** Analog pin ("A0") of the ear-loop welder thermometer, or undefined when not wired. */
  weldTemp?: string;
}

/** The wiring every simulated line uses; the firmware's source config must match it. */
export const SIM_WIRING: SimWiring = { good: 2, reject: 3, run: 4, weldTemp: "A0" };
/** ADC counts per °C of the simulated thermometer (0–1023 → 0–255.75 °C). */
export const WELD_TEMP_SCALE = 0.25;

/**
 * Plays a line model onto the pins of a PinDriver (SimIO, a Firmata device or a PLC emulator) and books
 * every pulse it delivered in the ledger. With SimIO delivery is synchronous, so when `advance` returns the
 * firmware has seen exactly what the ledger holds; over serial the firmware sees it a moment later.
 */
export class SimMachine {
  constructor(
    readonly key: LineKey,
    private readonly model: LineModel,
    private readonly io: PinDriver,
    private readonly ledger: Ledger,
    private readonly wiring: SimWiring = SIM_WIRING,
  ) {
    ledger.add(key);
  }

  /** Runs the machine up to simulated time `simMs`. */
  advance(simMs: number): void {
    for (const e of this.model.advance(simMs)) {
      if (e.kind === "run") {
        this.io.setLevel(this.wiring.run, e.running ? 1 : 0);
        continue;
      }
      const delivered = this.io.pulse(e.kind === "good" ? this.wiring.good : this.wiring.reject);
      if (delivered !== false) this.ledger.record(this.key, e.kind);
    }
    if (this.wiring.weldTemp !== undefined)
      this.io.setAnalog(this.wiring.weldTemp, weldTempC(this.model.running, simMs) / WELD_TEMP_SCALE);
  }
}

/** A plausible ear-loop welder temperature: ~182 °C with a slow swing while running, cooling to 150 °C when stopped. */
export function weldTempC(running: boolean, simMs: number): number {
  return running ? 182 + 4 * Math.sin(simMs / 60_000) : 150;
}
