import { MemoryStore } from '../../lib/index.js';

/** A MemoryStore whose first cascade step (`endLineage`) fails with `error`, then recovers. */
export function storeFailingFirstCascade(error: Error): MemoryStore {
  let failures = 1;
  return new (class extends MemoryStore {
    override async endLineage(...args: Parameters<MemoryStore['endLineage']>) {
      if (failures > 0) {
        failures -= 1;
        throw error;
      }
      return super.endLineage(...args);
    }
  })();
}
