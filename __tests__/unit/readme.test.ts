import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';

import { clientDefaults, INSTRUMENTS } from '../../lib/index.js';
import { defaults, OPTION_NAMES } from '../../lib/options.js';

const readme = readFileSync('README.md', 'utf8');

/** The body rows of the first markdown table after `heading`, as cells. */
function table(heading: string): string[][] {
  const lines = readme.slice(readme.indexOf(heading)).split('\n');
  const start = lines.findIndex((line) => line.startsWith('|'));
  const length = lines.slice(start).findIndex((line) => !line.startsWith('|'));
  return lines.slice(start + 2, start + length).map((row) => row.split('|').slice(1, -1).map((cell) => cell.trim()));
}

describe('README', () => {
  it('lists every option, in order, with the default the code uses', () => {
    const rows = table('## Options');
    expect(rows.map(([name]) => name!.replace(/`/g, ''))).toEqual(OPTION_NAMES);
    for (const [name, value] of Object.entries(defaults)) {
      if (typeof value === 'function') continue;
      const row = rows.find(([option]) => option === `\`${name}\``)!;
      expect(`${name}: ${row[2]}`).toContain(`${name}: \`${typeof value === 'string' || typeof value === 'object' ? JSON.stringify(value) : String(value)}\``);
    }
  });

  it('lists every per-client setting with its default', () => {
    const rows = table('## Per-client settings');
    expect(rows.map(([name]) => name!.replace(/`/g, ''))).toEqual(Object.keys(clientDefaults));
    for (const [name, value] of Object.entries(clientDefaults)) {
      const row = rows.find(([field]) => field === `\`${name}\``)!;
      expect(`${name}: ${row[1]}`).toBe(`${name}: \`${JSON.stringify(value)}\``);
    }
  });

  it('documents every OpenTelemetry instrument with its kind, unit and attributes', () => {
    const rows = table('## Metrics and traces');
    expect(rows.map(([name, kind, unit, attributes]) => [name, kind, unit, attributes])).toEqual(Object.values(INSTRUMENTS).map((instrument) =>
      [`\`${instrument.name}\``, instrument.kind, `\`${instrument.unit}\``, instrument.attributes.map((attribute) => `\`${attribute}\``).join(', ')]));
  });
});
