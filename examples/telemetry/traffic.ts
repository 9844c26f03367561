/**
 * `npx tsx examples/telemetry/traffic.ts [seconds]`: traffic for the dashboard. Runs every outcome
 * the dashboard shows (examples/telemetry/flows.ts) against `npm start` over and over, a few
 * passes a minute at varying pace, for `seconds` (default 300), then stops. Reads PORT and
 * WEB_PORT as `npm run native` does. `npm run demo` would not do: it starts servers of its own.
 * Against `DEVICE_BINDING_MODE=log_only npm start`, each pass's device mismatch is reported (the
 * dashboard's `log_only` panel) and signs the browser in instead of being refused.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { exerciseOutcomes, type Target } from './flows.js';

const port = Number(process.env.PORT ?? 3000);
const webPort = Number(process.env.WEB_PORT ?? 3001);
const seconds = Number(process.argv[2] ?? 300);
const target: Target = {
  // IPv4 loopback: the device-mismatch step sends from 127.0.0.2, another device to the IP binding.
  url: `http://127.0.0.1:${port}`,
  issuerHost: `localhost:${port}`,
  webRedirect: `http://localhost:${webPort}/callback`,
};

const end = Date.now() + seconds * 1000;
let passes = 0;
while (Date.now() < end) {
  // A burst of one to four passes, then a pause: rates that move, as real traffic does.
  const burst = 1 + Math.floor(Math.random() * 4);
  await Promise.all(Array.from({ length: burst }, () => exerciseOutcomes(target)));
  passes += burst;
  console.log(`${new Date().toISOString()} ${passes} passes`);
  await sleep(Math.min(Math.max(end - Date.now(), 0), 2000 + Math.random() * 8000));
}
