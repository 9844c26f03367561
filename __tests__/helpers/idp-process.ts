import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { spawnTsx } from './tsx-process.js';

export interface IdpProcess {
  /** The provider, by the port it listens on. */
  url: string;
  /** The web app, likewise. */
  webUrl: string;
  ports: { idp: number; web: number };
  output: () => string;
  stop(): Promise<void>;
}

const LISTENING = /identity provider: \S+ \(listening on port (\d+)[\s\S]*web app: \S+ \(listening on port (\d+)/;

/**
 * `npm start`'s program as a separate process (the example provider and web app). It listens on
 * ports it chooses itself (PORT=0, WEB_PORT=0) unless `env` names them, and reports them.
 */
export async function startIdpProcess(env: Record<string, string>): Promise<IdpProcess> {
  const child: ChildProcess = spawnTsx('examples/start.ts', [], { PORT: '0', WEB_PORT: '0', ...env });
  let output = '';
  child.stdout!.on('data', (chunk) => { output += chunk; });
  child.stderr!.on('data', (chunk) => { output += chunk; });
  const deadline = Date.now() + 20_000;
  let ports: RegExpExecArray | null;
  while (!(ports = LISTENING.exec(output))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`example did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `http://127.0.0.1:${ports[1]}`,
    webUrl: `http://127.0.0.1:${ports[2]}`,
    ports: { idp: Number(ports[1]), web: Number(ports[2]) },
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
