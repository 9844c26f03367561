// Jest loads global setup outside its module mapper, so this import names the .ts file itself.
import { nodeVersionProblem } from '../../examples/node-support.ts';
import { REDIS_MISSING, redisServerAvailable, startRedisServer } from '../helpers/redis-server.ts';

/** One redis-server for the whole run; tests that stop Redis start their own. */
export default async function globalSetup(): Promise<void> {
  // The suite runs the example as `npm start` does, which refuses an end-of-life Node: say so once.
  const node = nodeVersionProblem(process.versions.node);
  if (node?.fatal) throw new Error(node.message.replace('`npm start`', '`npm test`'));
  if (!redisServerAvailable()) throw new Error(REDIS_MISSING);
  const server = await startRedisServer();
  process.env.REDIS_URL = server.url;
  (globalThis as { redisServer?: typeof server }).redisServer = server;
}
