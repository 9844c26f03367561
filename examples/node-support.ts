/** The Node.js lines the library is tested on (CI runs the suite on each); keep with `engines`. */
export const TESTED_NODE_LINES = [22, 24, 26] as const;

const INSTALL = 'Install Node.js 24 (LTS) from https://nodejs.org, or run `nvm install 24`, then `npm start` again.';

/** What to tell someone running the example on `version` (process.versions.node); none when tested. */
export function nodeVersionProblem(version: string): { fatal: boolean; message: string } | undefined {
  const major = Number(version.split('.')[0]);
  if ((TESTED_NODE_LINES as readonly number[]).includes(major)) return undefined;
  if (major < TESTED_NODE_LINES[0]) {
    return {
      fatal: true,
      message: `Node.js ${version} is not supported (it is past its end of life, and oidc-provider 9 does not support it). ${INSTALL}`,
    };
  }
  return {
    fatal: false,
    message: `Node.js ${version} is not a line this library is tested on (${TESTED_NODE_LINES.join(', ')}); trying anyway. If something fails, ${INSTALL[0]!.toLowerCase()}${INSTALL.slice(1)}`,
  };
}
