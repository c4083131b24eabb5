import { FirmwareError } from "./errors.ts";

/** An IO plugin and how to release what it opened. */
export interface IoHandle {
  io: object;
  close(): Promise<void>;
  /** Called once johnny-five listens to `io` (see openFirmata). */
  attached?(): void;
}

/**
 * Firmata over a serial port (STACK.md): serialport 13 as the transport of firmata-io, so johnny-five never
 * loads its own serialport@8. The port is opened first, so a missing device fails here with its own
 * message (ENOENT, EACCES) instead of a board timeout. A real board resets when the port opens and
 * announces itself (REPORT_VERSION); firmata-io asks for it after `reportVersionTimeout` otherwise.
 * Always an explicit path: `SerialPort.list()` needs udevadm, which minimal images lack.
 */
export async function openFirmata(port: string, baudRate = 57_600): Promise<IoHandle> {
  const [{ SerialPort }, firmata] = await Promise.all([import("serialport"), import("firmata-io")]);
  const serial = new SerialPort({ path: port, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => {
    serial.open((err) =>
      err
        ? reject(
            new FirmwareError("SERIAL_OPEN", `cannot open serial port ${port}: ${err.message}`, {
              cause: err,
            }),
          )
        : resolve(),
    );
  });
  const Firmata = firmata.default(SerialPort);
  const io = new Firmata(serial, { reportVersionTimeout: 200 });
  io.name = "Firmata";
  // Errors after open reach the source through the IO plugin's own "error"/"close" events.
  serial.on("error", () => {});
  return {
    io,
    // The port was open before firmata-io listened, so its "open" → "connect" never fired; johnny-five
    // postpones "ready" until it sees "connect".
    attached: () => io.emit("connect"),
    close: () =>
      new Promise<void>((resolve) => {
        if (!serial.isOpen) return resolve();
        serial.close(() => resolve());
      }),
  };
}

/** Raspberry Pi GPIO through raspi-io: an optional dependency that only installs on a Pi. */
export async function openRaspi(): Promise<IoHandle> {
  const name = "raspi-io";
  let mod: { RaspiIO?: new (opts?: object) => object };
  try {
    mod = (await import(name)) as typeof mod;
  } catch (err) {
    throw new FirmwareError(
      "IO_PLUGIN_MISSING",
      "io: raspi needs the raspi-io package, which installs only on a Raspberry Pi: run `npm install raspi-io` there",
      { cause: err },
    );
  }
  if (!mod.RaspiIO) throw new FirmwareError("IO_PLUGIN_MISSING", "raspi-io does not export RaspiIO");
  return { io: new mod.RaspiIO({ enableSerial: false }), close: async () => {} };
}
