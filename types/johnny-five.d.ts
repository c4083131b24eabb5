/** The slice of johnny-five 2.1 (CommonJS, no bundled types) that masktally uses. */
declare module "johnny-five" {
  import type { EventEmitter } from "node:events";

  export interface BoardOptions {
    /** An IO plugin (github.com/rwaldron/io-plugins): Firmata, raspi-io, or the simulator's SimIO. */
    io?: object;
    id?: string;
    repl?: boolean;
    debug?: boolean;
    /** When true (the default) johnny-five installs a SIGINT handler that exits the process. */
    sigint?: boolean;
    /** ms between "connect" and "ready" before the board reports an error (default 10 s). */
    timeout?: number;
  }

  export class Board extends EventEmitter {
    constructor(options?: BoardOptions);
    readonly isReady: boolean;
    readonly io: object;
    readonly MODES: { INPUT: number; OUTPUT: number; ANALOG: number; PWM: number; SERVO: number };
    pinMode(pin: number | string, mode: number): this;
    digitalRead(pin: number | string, callback: (value: number) => void): this;
    analogRead(pin: number | string, callback: (value: number) => void): this;
  }

  const five: { Board: typeof Board };
  export default five;
}
