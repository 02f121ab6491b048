/**
 * The JSON schema of daemon.json, derived from the flag catalog so that
 * completion in VS Code and our own checks cannot disagree.
 * `schemas/daemon.schema.json` is this, written out (a test keeps it so).
 */
import { DAEMON_FLAGS, type DaemonFlag } from './flags';

function property(f: DaemonFlag): Record<string, unknown> {
  const doc = `${f.doc}${f.removedIn ? ` (removed in Docker ${f.removedIn})` : ''}${f.since ? ` (Docker ${f.since}+)` : ''}`;
  switch (f.kind) {
    case 'bool':
      return { type: 'boolean', description: doc };
    case 'list':
      return f.name === 'default-address-pool'
        ? { type: 'array', description: doc, items: { type: 'object', properties: { base: { type: 'string' }, size: { type: 'integer' } }, required: ['base', 'size'] } }
        : { type: 'array', description: doc, items: { type: 'string' } };
    case 'map':
      return { type: 'object', description: doc };
    default:
      return f.value === 'mtu' || f.value === 'int' ? { type: 'integer', description: doc } : { type: 'string', description: doc };
  }
}

export function daemonJsonSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const f of DAEMON_FLAGS) {
    if (f.name === 'daemon' || f.name === 'config-file' || f.name === 'validate') continue; // command-line only
    const key = f.json ?? f.name;
    if (!(key in properties)) properties[key] = property(f);
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Docker daemon configuration (daemon.json)',
    description: 'Keys are dockerd\'s long flag names. dockerd refuses to start on an unknown key or on a key also given as a flag.',
    type: 'object',
    additionalProperties: false,
    properties,
  };
}
