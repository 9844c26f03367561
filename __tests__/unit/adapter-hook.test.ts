import { expect, it } from '@jest/globals';

import { StoreUnavailableError } from '../../lib/index.js';
import { cascadingAdapter } from '../../lib/revocation/adapter-hook.js';

it('threat: a grant destroy that fails after deleting (not acknowledged by a replica) skips the cascade: it runs anyway', async () => {
  const cascaded: string[] = [];
  // As redisAdapter fails when the replica does not acknowledge: the delete ran on the master.
  class Unacknowledged {
    async destroy(): Promise<void> {
      throw new StoreUnavailableError('redis DEL (Grant) not acknowledged by 1 replica within 250 ms (0 did)');
    }
  }
  const grants = cascadingAdapter(Unacknowledged as never, async (id) => { cascaded.push(id); })('Grant');
  await expect(grants.destroy('grant-1')).rejects.toThrow('not acknowledged');
  expect(cascaded).toEqual(['grant-1']);
});
