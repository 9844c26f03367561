/**
 * Imported first by `npm start`, so that an unsupported Node.js says so plainly before
 * oidc-provider's own "Unsupported runtime" warning scrolls by in its start-up output.
 */
import { nodeVersionProblem } from './node-support.js';

const problem = nodeVersionProblem(process.versions.node);
if (problem?.fatal) {
  console.error(problem.message);
  process.exit(1);
}
if (problem) console.warn(problem.message);
