import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';

/**
 * docs/storage-and-deployment.md's guarantee table names, per row, the tests behind it as
 * `[file] › "name…"` (a trailing … shortens the name): each must be a test of that file.
 */
const doc = readFileSync('docs/storage-and-deployment.md', 'utf8');
const header = '| setup | a crash or restart can lose | a failover can lose | a partition can lose | what closes it | backed by |';
const rows = doc.slice(doc.indexOf(header)).split('\n').slice(2).filter((line) => line.startsWith('|'));

/** The test names a cell cites, by file: after `[file] ›`, each quoted or code-span name up to the next file. */
function citations(cell: string): { file: string; name: string }[] {
  return [...cell.matchAll(/\[([a-z-]+)\] ›([^[]*)/g)].flatMap(([, file, names]) =>
    [...names!.matchAll(/"([^"]+)"|`([^`]+)`/g)].map((match) => ({ file: file!, name: (match[1] ?? match[2])!.replace(/…$/, '') })));
}

describe('the guarantee table (docs/storage-and-deployment.md)', () => {
  it('names for each row tests that exist', () => {
    expect(rows).toHaveLength(8);
    for (const row of rows) {
      const cell = row.split(' | ').at(-1)!;
      const cited = citations(cell);
      expect(cited.length).toBeGreaterThan(0);
      for (const { file, name } of cited) {
        const source = readFileSync(`__tests__/integration/${file}.test.ts`, 'utf8').replace(/\\'/g, "'");
        // A name shortened in the middle (" … ") is cited by its pieces.
        for (const piece of name.split(' … ')) expect(source).toContain(piece);
      }
    }
  });
});
