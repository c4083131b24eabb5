import { hostname } from "node:os";
import redisPersistence from "aedes-persistence-redis";
import { Redis } from "ioredis";
import mqemitterRedis from "mqemitter-redis";
import type { Logger } from "pino";
import type { LeaseStore } from "./line-leases.ts";

/** Gateway config `cluster` (ADR 0011): instances sharing MQTT state and line ownership through one Redis. */
export interface ClusterSettings {
  /** redis://[:password@]host:port[/db] */
  redis: string;
  /** Unique per instance; default `{hostname}-{pid}`. */
  instanceId?: string | undefined;
  /** Line lease time to live in ms (default 10,000): a dead instance's lines move after at most this. */
  leaseMs?: number | undefined;
}

/** What aedes takes instead of its in-process emitter and Level persistence. */
export interface ClusterBroker {
  mq: unknown;
  persistence: { destroy(cb?: () => void): unknown };
}

export interface RunningCluster {
  instanceId: string;
  leases: LeaseStore;
  /** A fresh emitter and persistence for aedes (closed by broker.close() and persistence.destroy()). */
  broker(): ClusterBroker;
  /** Closes the lease connection (the broker's own connections close with the broker). */
  stop(): Promise<void>;
}

// Atomic compare-and-act: only the holder may extend or drop its lease (redis.io/docs/manual/patterns/distributed-locks).
const RENEW = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

export class RedisLeaseStore implements LeaseStore {
  constructor(private readonly redis: Redis) {}

  async acquire(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(key, owner, "PX", ttlMs, "NX")) === "OK";
  }

  async renew(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.eval(RENEW, 1, key, owner, String(ttlMs))) === 1;
  }

  async release(key: string, owner: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, key, owner);
  }
}

/** Connects to the cluster's Redis; fails fast (with the URL, never its password) when it does not answer. */
export async function startCluster(s: ClusterSettings, log: Logger): Promise<RunningCluster> {
  const instanceId = s.instanceId ?? `${hostname()}-${process.pid}`;
  const redis = new Redis(s.redis, { lazyConnect: true, maxRetriesPerRequest: 3 });
  redis.on("error", (err: Error) => log.warn({ err: err.message }, "redis error"));
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw Object.assign(new Error(`cannot reach the cluster's Redis: ${(err as Error).message}`), {
      code: "CLUSTER_REDIS_DOWN",
    });
  }
  log.info({ instanceId }, "cluster redis connected");
  return {
    instanceId,
    leases: new RedisLeaseStore(redis),
    broker: () => ({
      mq: mqemitterRedis({ connectionString: s.redis }),
      persistence: redisPersistence({ conn: new Redis(s.redis) }),
    }),
    stop: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
