import { isId, lineKey, WIRE_VERSION } from "../../protocol/index.ts";
import type { Devices } from "./devices.ts";

/** Who is on the other end of an MQTT connection: a device that proved its password, or (demo/tests) anyone. */
export type Identity = { kind: "device"; id: string; lines: ReadonlySet<string> } | { kind: "anonymous" };

/** May this connection publish telemetry/status for the line? Anonymous clients may use any line (demo/tests). */
export function mayPublishFor(identity: Identity, plant: string, line: string): boolean {
  return identity.kind === "anonymous" || identity.lines.has(lineKey(plant, line));
}

/**
 * May the sample or status claiming to come from `claimed` be booked on the line? An authenticated device may
 * speak only for itself. An anonymous client may name any device not in the devices file, and a listed device
 * only on its own lines.
 */
export function mayClaim(
  identity: Identity,
  devices: Devices | null,
  claimed: string,
  plant: string,
  line: string,
) {
  if (identity.kind === "device") return identity.id === claimed;
  const listed = devices?.get(claimed);
  return listed === undefined || listed.lines.has(lineKey(plant, line));
}

/**
 * May this connection subscribe to `filter`? Devices: only their own lines' command topics
 * (`mt/v1/{plant}/{line}/cmd/{name|+|#}`). Anonymous: anything but `$`-topics. `$`-topics are refused to
 * everyone: the gateway parks acknowledged-and-dropped publishes there (see broker.ts).
 */
export function maySubscribe(identity: Identity, filter: string): boolean {
  if (filter.startsWith("$")) return false;
  if (identity.kind === "anonymous") return true;
  const p = filter.split("/");
  const [root, version, plant, line, leaf, name] = p;
  return (
    p.length === 6 &&
    root === "mt" &&
    version === `v${WIRE_VERSION}` &&
    isId(plant) &&
    isId(line) &&
    identity.lines.has(lineKey(plant, line)) &&
    leaf === "cmd" &&
    (name === "+" || name === "#" || isId(name))
  );
}
