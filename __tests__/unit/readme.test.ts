import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';

import { clientDefaults, INSTRUMENTS } from '../../lib/index.js';
import { defaults, OPTION_NAMES } from '../../lib/options.js';

/** The body rows of the first markdown table after `heading` in `file`, as cells. */
function table(file: string, heading: string): string[][] {
  const text = readFileSync(file, 'utf8');
  expect(text).toContain(heading);
  const lines = text.slice(text.indexOf(heading)).split('\n');
  const start = lines.findIndex((line) => line.startsWith('|'));
  const length = lines.slice(start).findIndex((line) => !line.startsWith('|'));
  return lines.slice(start + 2, start + length).map((row) => row.split('|').slice(1, -1).map((cell) => cell.trim()));
}

describe('the documentation (README.md and docs/)', () => {
  it('lists every option, in order, with the default the code uses', () => {
    const rows = table('docs/configuration.md', '## Options');
    expect(rows.map(([name]) => name!.replace(/`/g, ''))).toEqual(OPTION_NAMES);
    for (const [name, value] of Object.entries(defaults)) {
      if (typeof value === 'function') continue;
      const row = rows.find(([option]) => option === `\`${name}\``)!;
      expect(`${name}: ${row[2]}`).toContain(`${name}: \`${typeof value === 'string' || typeof value === 'object' ? JSON.stringify(value) : String(value)}\``);
    }
  });

  it('lists every per-client setting with its default', () => {
    const rows = table('docs/configuration.md', '## Per-client settings');
    expect(rows.map(([name]) => name!.replace(/`/g, ''))).toEqual(Object.keys(clientDefaults));
    for (const [name, value] of Object.entries(clientDefaults)) {
      const row = rows.find(([field]) => field === `\`${name}\``)!;
      expect(`${name}: ${row[1]}`).toBe(`${name}: \`${JSON.stringify(value)}\``);
    }
  });

  it('documents every OpenTelemetry instrument with its kind, unit and attributes', () => {
    const rows = table('docs/telemetry.md', '# Metrics and traces');
    expect(rows.map(([name, kind, unit, attributes]) => [name, kind, unit, attributes])).toEqual(Object.values(INSTRUMENTS).map((instrument) =>
      [`\`${instrument.name}\``, instrument.kind, `\`${instrument.unit}\``, instrument.attributes.map((attribute) => `\`${attribute}\``).join(', ')]));
  });
});
