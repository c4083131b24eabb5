import { describe, expect, it } from "vitest";
import { CliProcess } from "../support/cli-process.ts";

/** `masktally bench` usage errors: refused before any scenario starts, exit 2 like the other commands. */
describe("masktally bench usage", () => {
  async function bench(...args: string[]) {
    const p = new CliProcess(["bench", ...args]);
    const { code } = await p.exited;
    return { code, stderr: p.stderr, stdout: p.logs.map((l) => l.msg).join("\n") };
  }

  it.each(["0", "-1", "2.5", "three", "101"])("refuses --repeat %s", async (n) => {
    const r = await bench("firmware", "--quick", "--repeat", n);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `option '--repeat <n>' argument '${n}' is invalid. expected an integer from 1 to 100`,
    );
    expect(r.stdout).toBe("");
  });

  it("refuses an unknown scenario and names the known ones", async () => {
    const r = await bench("nosuch", "--repeat", "2");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown scenario "nosuch"; known: alerts, baseline, dashboard, firmware');
  });
});
