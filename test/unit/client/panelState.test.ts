/**
 * What the trace panel and the topology view keep across a window reload:
 * the request (never a result), through the webview state as VS Code stores
 * it (JSON), read back by the serializer; states it cannot use; what the
 * panels say when the file is gone or the host changed; package.json
 * activating the extension for each restored view.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TraceParams } from '../../../server/src/protocol';
import type { TraceHost } from '../../../server/src/trace/traceResult';
import { RESTORED_VIEW_TYPES, TRACE_VIEW_TYPE } from '../../../client/src/viewTypes';
import {
  hostChangeWarning, mergeState, missingFileMessage, restoredTopology, restoredTrace, SAVED_KEY, savedTopology, savedTrace, traceParamsOf, unrestorableMessage,
} from '../../../client/src/webviewHost/panelState';

const RULES = 'file:///srv/hosts/docker-host/rules.v4';
const PEER: TraceParams = { uri: RULES, proto: 'tcp', src: 'client', dst: 'docker-host', dport: 12580, origin: { peer: 'client' } };
const EXAMPLE: TraceParams = { uri: RULES, proto: 'udp', src: '10.0.0.101', sport: 40000, dst: '10.10.126.101', dport: 53, origin: { iface: 'eth0' }, guess: { outIface: 'docker0', dstIsLocal: false } };
const LOCAL: TraceParams = { uri: RULES, proto: 'icmp', src: '10.10.126.101', dst: 'web', origin: { local: true } };
const HOST = { name: 'docker-host', source: 'description', file: '/srv/hosts/docker-host/nflens-host.json' } as unknown as TraceHost;

/** The webview's state after the trace script selected a tab and the extension asked it to keep `saved`, as VS Code stores it (JSON). */
function webviewStateAfter(saved: unknown): unknown {
  let state: unknown;
  state = mergeState(state, { selected: '1:2' });
  state = mergeState(state, { [SAVED_KEY]: saved });
  state = mergeState(state, { selected: '1:3' });
  return JSON.parse(JSON.stringify(state));
}

describe('panel state across a window reload', () => {
  it('the trace panel saves its request and the host it ran on, and only that; the serializer gets the same request back', () => {
    for (const params of [PEER, EXAMPLE, LOCAL]) {
      const saved = savedTrace(params, HOST);
      assert.deepEqual(Object.keys(saved).sort(), ['host', 'kind', 'params', 'v'], 'no trace result is saved');
      assert.deepEqual(saved.host, { source: 'description', file: '/srv/hosts/docker-host/nflens-host.json' }, 'the host by its description, not its model');
      const state = webviewStateAfter(saved);
      assert.equal((state as { selected?: string }).selected, '1:3', 'the webview\'s own keys stay beside it');
      assert.deepEqual(restoredTrace(state), saved);
      assert.deepEqual(restoredTrace(state)?.params, params);
    }
    assert.deepEqual(restoredTrace(webviewStateAfter(savedTrace(PEER))), { kind: 'trace', v: 1, params: PEER }, 'saved before the first trace answered: no host yet');
  });

  it('the topology view saves the file it draws', () => {
    const saved = savedTopology('file:///srv/hosts/docker-host/nflens-host.json');
    assert.deepEqual(restoredTopology(webviewStateAfter(saved)), saved);
    assert.equal(restoredTrace(webviewStateAfter(saved)), undefined, 'a topology state is no trace');
    assert.equal(restoredTopology(webviewStateAfter(savedTrace(PEER))), undefined, 'a trace state is no topology');
  });

  it('a state it cannot use restores nothing: none, an older version\'s, another version, a damaged request', () => {
    const bad: unknown[] = [
      undefined, null, 42, 'x', [], {}, { selected: '1:1' },
      { [SAVED_KEY]: { ...savedTrace(PEER), v: 2 } },
      { [SAVED_KEY]: { kind: 'trace', v: 1 } },
      { [SAVED_KEY]: { kind: 'trace', v: 1, params: { ...PEER, origin: undefined } } },
      { [SAVED_KEY]: { kind: 'trace', v: 1, params: { ...PEER, origin: { peer: 7 } } } },
      { [SAVED_KEY]: { kind: 'trace', v: 1, params: { ...PEER, dport: 70000 } } },
      { [SAVED_KEY]: { kind: 'trace', v: 1, params: { ...PEER, sport: '22' } } },
      { [SAVED_KEY]: { kind: 'trace', v: 1, params: { ...PEER, uri: '' } } },
      { [SAVED_KEY]: { kind: 'trace', v: 1, params: { ...PEER, dst: ['x'] } } },
    ];
    for (const s of bad) assert.equal(restoredTrace(s), undefined, JSON.stringify(s));
    for (const s of [undefined, {}, { [SAVED_KEY]: { kind: 'topology', v: 1, uri: 3 } }, { [SAVED_KEY]: { kind: 'topology', v: 1, uri: '' } }]) assert.equal(restoredTopology(s), undefined);
  });

  it('a request read back keeps only the fields a trace request has, each checked', () => {
    const edited = { ...EXAMPLE, events: [{ type: 'packet' }], summary: 'stale', guess: { outIface: 'eth1', dstIsLocal: 'yes', extra: 1 }, origin: { iface: 'eth0', local: true } };
    assert.deepEqual(traceParamsOf(edited), { ...EXAMPLE, guess: { outIface: 'eth1' } });
    const host = restoredTrace({ [SAVED_KEY]: { kind: 'trace', v: 1, params: PEER, host: { source: 'somewhere', file: '/x' } } });
    assert.deepEqual(host, { kind: 'trace', v: 1, params: PEER }, 'an unknown host source is dropped, the request kept');
  });

  it('the missing-file case: the panel says which file is gone and what to do, in words', () => {
    const trace = missingFileMessage('trace', 'file:///srv/hosts/my%20host/rules.v4');
    assert.equal(trace, 'The rules file rules.v4 no longer exists (/srv/hosts/my host/rules.v4): there is nothing to trace. Put it back and the panel traces it again, or run Trace Packet… on another rules file.');
    const topo = missingFileMessage('topology', 'file:///srv/hosts/docker-host/nflens-host.json');
    assert.match(topo, /^The file nflens-host\.json no longer exists \(\/srv\/hosts\/docker-host\/nflens-host\.json\): there is nothing to draw\./);
    assert.match(missingFileMessage('trace', 'file:///srv/100%zz/rules.v4'), /rules\.v4 no longer exists \(\/srv\/100%zz\/rules\.v4\)/, 'a path that is not valid percent-encoding is shown as it is');
    assert.match(unrestorableMessage('trace'), /Run Trace Packet… again\.$/);
    assert.match(unrestorableMessage('topology'), /Run Show Host Topology again\.$/);
  });

  it('a restored trace that now runs on another host says so; on the same host it says nothing', () => {
    const before = savedTrace(PEER, HOST).host;
    assert.equal(hostChangeWarning(before, HOST), undefined);
    assert.equal(hostChangeWarning(undefined, HOST), undefined, 'nothing saved: nothing to compare');
    assert.equal(hostChangeWarning(before, { ...HOST, source: 'inferred', file: undefined } as unknown as TraceHost),
      'Before the window was reloaded this trace ran on the host described in nflens-host.json; it now runs on the host inferred from the rules.');
    assert.match(hostChangeWarning(before, { ...HOST, file: '/srv/hosts/docker-host/edge.nflens-host.json' })!, /it now runs on the host described in edge\.nflens-host\.json\.$/);
  });

  it('package.json activates the extension for each restored view, so VS Code can hand the panels back', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', '..', 'package.json'), 'utf8')) as { activationEvents: string[]; contributes: { menus: Record<string, Array<{ when?: string }>> } };
    assert.deepEqual(pkg.activationEvents.filter((e) => e.startsWith('onWebviewPanel:')).sort(), RESTORED_VIEW_TYPES.map((t) => `onWebviewPanel:${t}`).sort());
    assert.ok(pkg.contributes.menus['editor/title']!.some((m) => m.when?.includes(`activeWebviewPanelId == '${TRACE_VIEW_TYPE}'`)), 'the title bar button names the trace panel\'s view type');
  });
});
