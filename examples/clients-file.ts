/**
 * CLIENTS_FILE: clients added to the example's own, from a JSON array of oidc-provider client
 * metadata (with the library's `session_transfer` settings). Every problem is a SettingError
 * naming the file and the entry (numbered from 1).
 */
import { readFile } from 'node:fs/promises';

import type { ClientMetadata, Provider } from 'oidc-provider';

import { SettingError } from './settings.js';

export interface ClientsFile {
  path: string;
  clients: ClientMetadata[];
}

const kind = (value: unknown) =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;

function problem(path: string, what: string): SettingError {
  return new SettingError(`CLIENTS_FILE=${path} ${what}`);
}

/** Reads the file: an array of objects, each with a `client_id` of its own, none of `builtInIds`. */
export async function readClientsFile(path: string, builtInIds: readonly string[]): Promise<ClientsFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw problem(path, `cannot be read (${(err as Error).message})`);
  }
  let entries: unknown;
  try {
    entries = JSON.parse(text);
  } catch (err) {
    throw problem(path, `is not JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(entries)) throw problem(path, `must hold a JSON array of client metadata objects, not ${kind(entries)}`);

  const seen = new Map<string, number>();
  entries.forEach((entry: unknown, index) => {
    const where = `entry ${index + 1}`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      throw problem(path, `${where} must be a client metadata object, not ${kind(entry)}`);
    }
    const id: unknown = (entry as ClientMetadata).client_id;
    if (id === undefined) throw problem(path, `${where} has no client_id`);
    if (typeof id !== 'string' || !id) throw problem(path, `${where}: client_id must be a non-empty string`);
    if (builtInIds.includes(id)) {
      throw problem(path, `${where}: client_id "${id}" is one of the example's own clients (${builtInIds.join(', ')}): choose another`);
    }
    const first = seen.get(id);
    if (first !== undefined) throw problem(path, `${where}: client_id "${id}" is entry ${first}'s already`);
    seen.set(id, index + 1);
  });
  return { path, clients: entries as ClientMetadata[] };
}

/** The entry a client came from, as a SettingError with `detail`; undefined if the client is not the file's. */
function entryProblem(file: ClientsFile, clientId: unknown, detail: string): SettingError | undefined {
  const index = file.clients.findIndex((client) => client.client_id === clientId);
  return index < 0 ? undefined : problem(file.path, `entry ${index + 1}: ${detail}`);
}

/**
 * The library refused a client's settings (`ClientMetadataError`, at start-up): that as a
 * SettingError naming the file's entry; undefined for any other error.
 */
export function clientsFileRefusal(err: unknown, file: ClientsFile | undefined): SettingError | undefined {
  // The library's advice: match on `code`, not on the class.
  const refusal = err as { code?: unknown; clientId?: unknown; message: string };
  if (!file || refusal?.code !== 'ERR_SESSION_TRANSFER_CLIENT_METADATA') return undefined;
  return entryProblem(file, refusal.clientId, refusal.message);
}

/**
 * Loads each of the file's clients into the provider now: oidc-provider checks static clients'
 * metadata only when a request first names one, so a mistake would otherwise show up later, as
 * an error page.
 */
export async function loadClients(provider: Provider, file: ClientsFile): Promise<void> {
  for (const client of file.clients) {
    try {
      await provider.Client.find(client.client_id);
    } catch (err) {
      const { error_description: description, message } = err as { error_description?: string; message: string };
      throw entryProblem(file, client.client_id, `client "${client.client_id}": ${description ?? message}`)!;
    }
  }
}
