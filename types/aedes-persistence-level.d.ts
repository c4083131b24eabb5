/** aedes-persistence-level 9.2 (CommonJS, no types): aedes broker state (sessions, retained, wills) in a Level DB. */
declare module "aedes-persistence-level" {
  /** The persistence aedes takes as its `persistence` option; `destroy` closes the Level DB (broker.close() does not). */
  export interface LevelPersistence {
    setup(broker: unknown): Promise<void>;
    destroy(cb?: () => void): Promise<void> | undefined;
  }
  const factory: (db: unknown) => LevelPersistence;
  export default factory;
}
