/**
 * Real daemon option files written by other people (../shared/corpus/docker):
 * every one is read without a false error. The errors we do report are
 * listed here, each checked by hand against what dockerd does.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeDaemonFile } from '../../server/src/lang/docker/daemonFile';
import { corpusFiles } from '../helpers/corpus';

/** file → the error codes it really deserves, and why. */
const TRUE_ERRORS: Readonly<Record<string, { codes: string[]; why: string }>> = {
  'campjs-iii.default-docker': { codes: ['insecure-daemon-socket'], why: '-H tcp://0.0.0.0:4243 without TLS: the API is open to the network' },
  'cloudmatrix.default-docker': { codes: ['insecure-daemon-socket'], why: '-H tcp://0.0.0.0:4243 without TLS' },
  'marvell-workshop.default-docker': { codes: ['insecure-daemon-socket'], why: '--host=tcp://0.0.0.0:2375 without TLS' },
  'fly-apps-docker-daemon.daemon.json': { codes: ['insecure-daemon-socket'], why: '"hosts": ["tcp://[::]:2375"] with "tls": false' },
  'knepharyus1-flannel.sysconfig-docker': { codes: ['unknown-daemon-flag'], why: '"--exec-root/var/run/docker" lacks its "=": dockerd has no such flag and refuses to start' },
};

const files = corpusFiles('docker').filter((f) => !basename(f).startsWith('network-inspect'));

describe('docker corpus: daemon option files', { skip: files.length ? false : 'CORPUS SKIPPED: ../shared/corpus/docker not found' }, () => {
  for (const file of files) {
    const name = basename(file);
    it(name, () => {
      const text = readFileSync(file, 'utf8');
      const r = analyzeDaemonFile(text, { fileName: name.replace(/\.(default|sysconfig)-docker$/, '') });
      const errors = r.diagnostics.filter((d) => d.severity === 'error');
      assert.deepEqual(errors.map((d) => d.code), TRUE_ERRORS[name]?.codes ?? [], errors.map((d) => `${d.span.start.line + 1}: ${d.message}`).join('\n'));
      // Files that set options yield settings.
      if (/^\s*(DOCKER_OPTS|OPTIONS)=["']?-/m.test(text)) assert.ok(r.value.settings.length > 0, 'options were read');
    });
  }
});
