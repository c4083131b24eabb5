import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";

/**
 * Two connected pseudo-terminals made by Debian's `socat` (`socat -d -d pty,raw,echo=0,link=A
 * pty,raw,echo=0,link=B`): a serial cable in software. The emulator opens `devicePath`, the firmware
 * opens `hostPath` with the real serialport package, exactly as it opens /dev/ttyACM0 on a Pi. Closing
 * the pair (killing socat) removes both links: to the firmware, the USB cable was pulled.
 */
export class PtyPair {
  private constructor(
    private readonly proc: ChildProcess,
    readonly devicePath: string,
    readonly hostPath: string,
  ) {}

  /** Creates `DIR/NAME.dev` (emulator side) and `DIR/NAME.tty` (firmware side); resolves once socat relays. */
  static async open(dir: string, name: string, timeoutMs = 10_000): Promise<PtyPair> {
    const devicePath = join(dir, `${name}.dev`);
    const hostPath = join(dir, `${name}.tty`);
    const proc = spawn(
      "socat",
      ["-d", "-d", `pty,raw,echo=0,link=${devicePath}`, `pty,raw,echo=0,link=${hostPath}`],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    const pair = new PtyPair(proc, devicePath, hostPath);
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`socat did not start within ${timeoutMs} ms`)),
        timeoutMs,
      );
      proc.once("error", (err) => {
        clearTimeout(timer);
        reject(new Error(`cannot run socat (apt-get install socat): ${err.message}`));
      });
      proc.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`socat exited with ${code} before relaying`));
      });
      // With -d -d socat logs "starting data transfer loop" once both ptys (and their links) exist.
      createInterface({ input: proc.stderr! }).on("line", (line) => {
        if (!line.includes("starting data transfer loop")) return;
        clearTimeout(timer);
        resolve();
      });
    });
    await ready;
    return pair;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Kills socat and waits for it: both ends see the line go dead, and the links disappear. */
  async close(): Promise<void> {
    if (!this.running) return;
    const exited = once(this.proc, "exit");
    this.proc.kill("SIGTERM");
    await exited;
  }
}
