/** aedes-persistence-redis 11.2 (CommonJS, no types): aedes sessions, subscriptions, retained messages and wills in Redis. */
declare module "aedes-persistence-redis" {
  /** The persistence aedes takes as its `persistence` option; `destroy` disconnects its Redis connection. */
  export interface RedisPersistence {
    setup(broker: unknown): Promise<void>;
    destroy(cb?: () => void): unknown;
  }
  /** `conn`: an ioredis client to use; otherwise the options are ioredis' own. */
  const factory: (opts?: {
    conn?: unknown;
    maxSessionDelivery?: number;
    [key: string]: unknown;
  }) => RedisPersistence;
  export default factory;
}
