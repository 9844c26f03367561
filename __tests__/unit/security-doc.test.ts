import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';

import { MUTANTS } from '../mutants/mutants.js';

const doc = readFileSync('docs/security.md', 'utf8');
/** The test names docs/security.md cites: each quoted name on a "Test:" / "Tests:" line and the lines that continue it. */
const cited = new Set([...doc.matchAll(/^ {2}(?:Tests?: `[^`]+` › |")(.+)$/gm)]
  .flatMap((match) => [...match[0].matchAll(/"(.+?)"(?:[;.]|$)/g)].map((name) => name[1]!)));

describe('docs/security.md', () => {
  it('names, beside its guarantee, the test of every mutant that npm run test:mutants checks', () => {
    for (const { test, name } of MUTANTS) {
      expect(doc).toContain(`\`${test}\``);
      expect(cited).toContain(name);
    }
  });

  it('cites no test that the mutation run does not check', () => {
    const checked = new Set(MUTANTS.map(({ name }) => name));
    expect([...cited].filter((name) => !checked.has(name))).toEqual([]);
    expect(cited.size).toBeGreaterThanOrEqual(20);
  });
});
