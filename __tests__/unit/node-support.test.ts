import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';

import { nodeVersionProblem, TESTED_NODE_LINES } from '../../examples/node-support.js';

describe('npm start on a Node.js line that is not tested', () => {
  it('stops on an end-of-life Node, naming what to install instead', () => {
    const problem = nodeVersionProblem('20.20.2');
    expect(problem?.fatal).toBe(true);
    expect(problem?.message).toMatch(/^Node\.js 20\.20\.2 is not supported/);
    expect(problem?.message).toContain('Install Node.js 24 (LTS)');
  });

  it('runs quietly on every tested line and warns on an untested newer one', () => {
    for (const line of TESTED_NODE_LINES) expect(nodeVersionProblem(`${line}.1.0`)).toBeUndefined();
    expect(nodeVersionProblem('25.0.0')).toMatchObject({ fatal: false, message: expect.stringContaining('trying anyway') });
  });

  it('names the same lines as package.json engines', () => {
    const engines = (JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } }).engines.node;
    expect(engines.match(/\^(\d+)\./g)?.map((range) => Number(range.slice(1, -1)))).toEqual([...TESTED_NODE_LINES]);
  });
});
