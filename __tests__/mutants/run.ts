/**
 * `npm run test:mutants`: undoes each security guarantee's code in turn (MUTANTS) and runs the
 * test that backs it, which must then fail. Prints one line per mutant and a score; exits non-zero
 * when a mutant survives or no longer applies (its code moved: update the list). Files are
 * restored after each mutant, and on Ctrl-C.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { MUTANTS, type Mutant } from './mutants.js';

type Outcome = 'killed' | 'survived' | 'not applicable' | 'test not found';

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const only = process.argv.slice(2);
const results = join(mkdtempSync(join(tmpdir(), 'mutants-')), 'jest.json');

let restore: (() => void) | undefined;
process.on('SIGINT', () => {
  restore?.();
  process.exit(130);
});

function run(mutant: Mutant): Outcome {
  const original = readFileSync(mutant.file, 'utf8');
  if (original.split(mutant.from).length !== 2) return 'not applicable';
  restore = () => writeFileSync(mutant.file, original);
  writeFileSync(mutant.file, original.replace(mutant.from, () => mutant.to));
  try {
    spawnSync(process.execPath, [
      '--experimental-vm-modules', '--disable-warning=ExperimentalWarning', 'node_modules/jest/bin/jest.js',
      mutant.test, '-t', `${escape(mutant.name)}$`, '--json', '--outputFile', results, '--forceExit', '--silent',
    ], { stdio: 'ignore' });
    const report = JSON.parse(readFileSync(results, 'utf8')) as { numPassedTests: number; numFailedTests: number };
    if (report.numPassedTests + report.numFailedTests === 0) return 'test not found';
    return report.numFailedTests > 0 ? 'killed' : 'survived';
  } finally {
    restore();
    restore = undefined;
  }
}

const selected = MUTANTS.filter((_mutant, index) => !only.length || only.includes(String(index + 1)));
const counts = new Map<Outcome, number>();
for (const mutant of selected) {
  const outcome = run(mutant);
  counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  console.log(`${outcome.padEnd(14)} #${MUTANTS.indexOf(mutant) + 1} ${mutant.guarantee} (${mutant.file}; ${mutant.test}: ${mutant.name})`);
}
rmSync(join(results, '..'), { recursive: true, force: true });
const killed = counts.get('killed') ?? 0;
console.log(`mutants: ${killed} killed of ${selected.length}`);
process.exitCode = killed === selected.length ? 0 : 1;
