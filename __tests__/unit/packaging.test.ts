import { describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, string | { default: string }> };

/** The paths `npm pack` would publish (from the working tree; no build). */
function packedFiles(): Set<string> {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8' });
  return new Set((JSON.parse(out) as [{ files: { path: string }[] }])[0].files.map((file) => file.path));
}

/**
 * Imports `entry` (a lib/ source) in a fresh Node process whose resolver refuses oidc-provider;
 * answers whether the import succeeded.
 */
function loadsWithoutOidcProvider(entry: string): boolean {
  const hooks = `export async function resolve(specifier, context, next) {
    if (specifier === 'oidc-provider' || specifier.startsWith('oidc-provider/')) throw new Error('oidc-provider was loaded');
    return next(specifier, context);
  }`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  const run = spawnSync(process.execPath, [
    '--import', 'tsx', '--import', `data:text/javascript,${encodeURIComponent(register)}`,
    '--input-type=module', '-e', `await import(${JSON.stringify(resolve(entry))});`,
  ], { env, encoding: 'utf8' });
  return run.status === 0;
}

/** The library built from lib/ into a scratch directory (once for the suite); its path. */
let built: string | undefined;
function build(): string {
  if (built === undefined) {
    built = 'test-output/package-check/dist';
    rmSync(built, { recursive: true, force: true });
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--outDir', built]);
  }
  return built;
}

describe('the package', () => {
  it('has a relying-party entry point, oidc-session-transfer/web, that does not load oidc-provider', () => {
    expect(pkg.exports['./web']).toEqual({ types: './dist/web/index.d.ts', default: './dist/web/index.js' });
    expect(loadsWithoutOidcProvider('lib/web/index.ts')).toBe(true);
    // The check can fail: the main entry point does load it.
    expect(loadsWithoutOidcProvider('lib/index.ts')).toBe(false);
  }, 30_000);

  it('builds every export from a source file in lib/', () => {
    for (const target of Object.values(pkg.exports)) {
      const built = typeof target === 'string' ? target : target.default;
      if (!built.startsWith('./dist/')) continue;
      expect(existsSync(built.replace(/^\.\/dist\//, 'lib/').replace(/\.js$/, '.ts'))).toBe(true);
    }
  });

  it('ships what its source maps point at', () => {
    const out = build();
    const files = packedFiles();
    const maps = readdirSync(out, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(20);
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(out, map), 'utf8')) as { sources: string[] };
      for (const source of sources) expect(files).toContain(relative('.', resolve(dirname(join(out, map)), source)));
    }
  }, 30_000);

  it('loads with require() from CommonJS, as the README says (no top-level await anywhere)', () => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.NODE_OPTIONS;
    const run = spawnSync(process.execPath, ['-e', `console.log(typeof require(${JSON.stringify(resolve(build(), 'index.js'))}).sessionTransfer)`], { env, encoding: 'utf8' });
    expect(run.stderr).not.toContain('ERR_REQUIRE');
    expect(run.stdout.trim()).toBe('function');
  }, 30_000);

  it('ships every file the README and docs/ link to or name in lib/', () => {
    const files = packedFiles();
    const markdown = ['README.md', ...readdirSync('docs').filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];
    for (const file of markdown) expect(files).toContain(file);
    const paths = markdown.flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      const links = [...text.matchAll(/\]\((?!https?:|#)([^)#\s]+)/g)].map((match) => join(dirname(file), match[1]!));
      const named = [...text.matchAll(/`(lib\/[\w/.-]+\.ts)`/g)].map((match) => match[1]!);
      return [...links, ...named];
    });
    expect(paths.length).toBeGreaterThan(10);
    for (const path of paths) expect(files).toContain(path);
  }, 30_000);
});
