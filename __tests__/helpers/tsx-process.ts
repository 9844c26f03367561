import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** A TypeScript program of the repository in a Node process of its own (tsx), without Jest's NODE_OPTIONS. */
export function spawnTsx(script: string, args: string[] = [], env: Record<string, string> = {}): ChildProcess {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.NODE_OPTIONS;
  return spawn(process.execPath, ['--import', 'tsx', script, ...args], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs a program to its end: its exit code and output. */
export async function runTsx(script: string, args: string[] = [], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnTsx(script, args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => { stdout += chunk; });
  child.stderr!.on('data', (chunk) => { stderr += chunk; });
  // 'close', not 'exit': the output may still be in the pipes when the process exits.
  const [code] = await once(child, 'close') as [number | null];
  return { code, stdout, stderr };
}
