import { MemoryStore } from '../../lib/index.js';

/** A MemoryStore whose first `times` cascade steps (`endLineage`) fail with `error`, then recovers. */
export function storeFailingFirstCascade(error: Error, times = 1): MemoryStore {
  let failures = times;
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
