import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { InfluxSampleStore } from "../../gateway/store/influx-sample-store.ts";

export interface TestInflux {
  url: string;
  database: string;
  store: InfluxSampleStore;
  /** Drops the database. */
  drop(): Promise<void>;
}

/** A fresh database on the suite's shared InfluxDB (see global-setup.ts), named after the test file. */
export async function testInflux(name: string): Promise<TestInflux> {
  const url = inject("influxUrl");
  const database = `t_${name.replace(/[^a-zA-Z0-9]/g, "_")}_${randomBytes(4).toString("hex")}`;
  const store = new InfluxSampleStore({ url, database });
  await store.init();
  return { url, database, store, drop: () => store.influx.dropDatabase(database) };
}
