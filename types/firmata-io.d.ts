/** firmata-io 2.3 (CommonJS, no types): `bindTransport(SerialPort)` returns the Firmata IO plugin class. */
declare module "firmata-io" {
  import type { EventEmitter } from "node:events";

  export interface FirmataOptions {
    reportVersionTimeout?: number;
    skipCapabilities?: boolean;
    samplingInterval?: number;
  }

  export class Firmata extends EventEmitter {
    constructor(transport: object, options?: FirmataOptions);
    name: string;
    isReady: boolean;
  }

  function bindTransport(transport: unknown): typeof Firmata;
  namespace bindTransport {
    const Firmata: typeof import("firmata-io").Firmata;
  }
  export default bindTransport;
}
