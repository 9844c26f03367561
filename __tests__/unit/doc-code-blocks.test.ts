/**
 * Every ```ts / ```typescript block of README.md and docs/*.md type-checks as written, each as its
 * own module, against the library's source (`oidc-session-transfer` and `oidc-session-transfer/web`
 * mapped to lib/): strict, NodeNext, as an app would compile it. One program over all blocks.
 * Also: the README stays short, and the relative links between these files land on a heading.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';

interface Block {
  /** The markdown file, relative to the repository. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  code: string;
}

/** The TypeScript blocks of one markdown file. */
function blocks(file: string): Block[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const found: Block[] = [];
  for (let index = 0; index < lines.length; index++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(ts|typescript)\s*$/.exec(lines[index]!);
    if (!open) continue;
    const [, indent, fence] = open;
    const end = lines.findIndex((text, at) => at > index && text.trim() === fence);
    if (end < 0) throw new Error(`${file}:${index + 1}: unclosed code block`);
    found.push({ file, line: index + 1, code: lines.slice(index + 1, end).map((text) => text.startsWith(indent!) ? text.slice(indent!.length) : text).join('\n') });
    index = end;
  }
  return found;
}

const markdown = ['README.md', ...readdirSync('docs').filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)];
const all = markdown.flatMap(blocks);

/** Type-checks `checked` in one program; one message per diagnostic, naming the markdown file and line. */
function typeCheck(checked: Block[], directory: string): string[] {
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory, { recursive: true });
  const sources = new Map<string, Block>();
  for (const block of checked) {
    const path = resolve(directory, `${block.file.replace(/[/.]/g, '_')}_L${block.line}.ts`);
    writeFileSync(path, `${block.code}\n`);
    sources.set(path, block);
  }
  const options: ts.CompilerOptions = {
    strict: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    moduleDetection: ts.ModuleDetectionKind.Force,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts'],
    types: ['node'],
    skipLibCheck: true,
    noEmit: true,
    paths: {
      'oidc-session-transfer': [resolve('lib/index.ts')],
      'oidc-session-transfer/web': [resolve('lib/web/index.ts')],
    },
  };
  const program = ts.createProgram([...sources.keys()], options);
  const messages = ts.getPreEmitDiagnostics(program).filter((diagnostic) => !diagnostic.file || sources.has(resolve(diagnostic.file.fileName)));
  return messages.map((diagnostic) => {
    const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    if (!diagnostic.file) return `TS${diagnostic.code}: ${text}`;
    const block = sources.get(resolve(diagnostic.file.fileName))!;
    const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    return `${block.file}:${block.line + 1 + line}:${character + 1} (the block opened at line ${block.line}): TS${diagnostic.code}: ${text}`;
  });
}

describe('the documentation\'s TypeScript blocks', () => {
  it('are found in README.md and docs/', () => {
    expect(all.length).toBeGreaterThan(5);
    expect(all.some((block) => block.file === 'README.md')).toBe(true);
    expect(all.some((block) => block.file.startsWith('docs/'))).toBe(true);
  });

  it('each type-check as written, as a module of an app (strict, NodeNext)', () => {
    expect(typeCheck(all, join('test-output', 'doc-code-blocks'))).toEqual([]);
  }, 60_000);
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
const anchor = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');

/** The anchors of a markdown file's headings (outside code blocks). */
function anchors(file: string): Set<string> {
  const found = new Set<string>();
  let fence: string | undefined;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker && (fence === undefined || marker === fence)) fence = fence === undefined ? marker : undefined;
    else if (fence === undefined && /^#{1,6} /.test(line)) found.add(anchor(line.replace(/^#+ /, '')));
  }
  return found;
}

describe('the documentation\'s shape', () => {
  it('keeps the README under 20 kB, with a table of contents and a link to every docs/ file', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(20_480);
    expect(readme).toContain('## Contents');
    const index = readFileSync('docs/README.md', 'utf8');
    for (const name of readdirSync('docs').filter((file) => file.endsWith('.md') && file !== 'README.md')) {
      expect(`${name}: ${index.includes(`](${name}`)}`).toBe(`${name}: true`);
    }
  });

  it('has relative links that land on an existing file and heading', () => {
    const broken: string[] = [];
    let checked = 0;
    for (const file of markdown) {
      for (const [, target] of readFileSync(file, 'utf8').matchAll(/\]\((?!https?:|mailto:)([^)\s]+)\)/g)) {
        const [path, hash] = target!.split('#') as [string, string | undefined];
        const linked = path === '' ? file : join(dirname(file), path);
        checked++;
        if (!existsSync(linked)) broken.push(`${file}: ${target} (no such file)`);
        else if (hash !== undefined && linked.endsWith('.md') && !anchors(linked).has(hash)) broken.push(`${file}: ${target} (no such heading)`);
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(broken).toEqual([]);
  });
});
