/**
 * Every step of one packet, in order: the hooks, tables and chains it
 * passes, each rule tried (the ones that matched in full, the others folded
 * with the part that failed), verdicts, rewrites with the packet before and
 * after, conntrack, routing and its fate. A rule step is a button: the
 * webview asks the extension to reveal that line.
 */
import type { JsonTraceEvent } from '../../../server/src/trace/jsonEvent';
import { changeWords, packetWords, tupleWords } from './packetWords';
import { BAD_FATES, type HostedEvent, type PacketView } from './traceModel';
import { h, type VNode } from './vnode';

/** Rule text by host, then 1-based line. */
export type RuleTexts = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** At most this many rules that did not match are listed in one fold; the rest are counted. */
export const UNMATCHED_SHOWN = 100;

type RuleEvent = Extract<JsonTraceEvent, { type: 'rule' }>;
type RuleRef = RuleEvent['rule'];

function ruleButton(ref: RuleRef, host: string, texts: RuleTexts, matched: boolean): VNode {
  const text = texts[host]?.[String(ref.line)];
  const where = ref.line > 0 ? `line ${ref.line}` : `${ref.table} ${ref.chain} rule ${ref.index + 1}`;
  return h(
    'button',
    {
      type: 'button',
      class: 'rule-link',
      'data-testid': 'trace-rule-link',
      'data-action': 'reveal-rule',
      'data-host': host,
      'data-line': ref.line,
      'data-matched': String(matched),
      disabled: ref.line <= 0,
      'aria-label': `${matched ? 'Matched' : 'Did not match'}: ${where}${text ? `, ${text}` : ''}. Show it in the rules file.`,
    },
    h('span', { class: 'line-no' }, where),
    text !== undefined && h('code', { class: 'rule-text' }, text),
  );
}

function step(kind: string, attrs: Record<string, string | number | boolean | undefined>, ...children: Array<VNode | string | false | undefined>): VNode {
  return h('li', { class: `step step-${kind}`, 'data-testid': 'trace-step', 'data-kind': kind, ...attrs }, ...children);
}

function unmatchedGroup(rules: ReadonlyArray<{ e: RuleEvent; host: string }>, texts: RuleTexts): VNode {
  const shown = rules.slice(0, UNMATCHED_SHOWN);
  const n = rules.length;
  return step('unmatched', { 'data-count': n },
    h('details', { 'data-testid': 'trace-unmatched' },
      h('summary', {}, `${n} rule${n > 1 ? 's' : ''} did not match`),
      h('ul', { class: 'unmatched-list' },
        shown.map(({ e, host }) => h('li', {}, ruleButton(e.rule, host, texts, false), e.failed && h('span', { class: 'failed' }, ` failed: ${e.failed}`),
          !!e.assumed?.length && h('span', { class: 'assumed' }, ` (assumed: ${e.assumed.join('; ')})`))),
        n > shown.length && h('li', { class: 'more' }, `… and ${n - shown.length} more`),
      ),
    ),
  );
}

function eventStep(he: HostedEvent, texts: RuleTexts): VNode | undefined {
  const e = he.event;
  switch (e.type) {
    case 'hook':
      return step('hook', { 'data-hook': e.hook },
        h('span', { class: 'hook-name' }, e.hook),
        h('span', { class: 'ifaces' }, [e.iif && ` in=${e.iif}`, e.oif && ` out=${e.oif}`].filter(Boolean).join('')),
      );
    case 'table':
      return step('table', { 'data-table': e.table }, h('span', { class: 'table-name' }, e.table), ' table');
    case 'skip':
      return step('skip', { 'data-table': e.table }, `${e.table}: not consulted — ${e.reason}`);
    case 'chain':
      return step('chain', { 'data-chain': e.chain }, `${e.goto ? 'goto' : 'jump to'} `, h('span', { class: 'chain-name' }, e.chain));
    case 'rule':
      return step('rule', { 'data-matched': 'true', 'data-line': e.rule.line },
        h('span', { class: 'mark ok', 'aria-hidden': 'true' }, '✓ '),
        ruleButton(e.rule, he.host, texts, true),
        !!e.assumed?.length && h('span', { class: 'assumed' }, ` (assumed: ${e.assumed.join('; ')})`),
      );
    case 'verdict': {
      if (e.verdict === 'JUMP' || e.verdict === 'GOTO' || e.verdict === 'CONTINUE') return undefined;
      const text = e.verdict === 'POLICY' ? `end of ${e.chain}: policy ${e.detail ?? ''}` : `⇒ ${e.verdict}${e.detail && e.verdict !== 'NAT' ? ` (${e.detail})` : ''}`;
      return step('verdict', { 'data-verdict': e.verdict === 'POLICY' ? (e.detail ?? 'POLICY') : e.verdict }, text);
    }
    case 'rewrite':
      return step('rewrite', { 'data-what': e.what },
        h('div', {}, h('strong', {}, e.what), `: ${changeWords(e.before, e.after)}`, e.note && h('span', { class: 'note' }, ` (${e.note})`)),
        h('dl', { class: 'before-after' },
          h('dt', {}, 'before'), h('dd', { 'data-testid': 'trace-rewrite-before' }, packetWords(e.before)),
          h('dt', {}, 'after'), h('dd', { 'data-testid': 'trace-rewrite-after' }, packetWords(e.after)),
        ),
      );
    case 'conntrack':
      return step('conntrack', { 'data-state': e.state },
        `conntrack: ${e.event === 'confirmed' ? 'entry confirmed' : `${e.state} (${e.dir.toLowerCase()})`}${e.zone ? ` in zone ${e.zone}` : ''}`,
        e.note && h('span', { class: 'note' }, ` — ${e.note}`),
        e.orig && e.reply && e.event === 'new' && h('div', { class: 'tuples' }, `original ${tupleWords(e.orig)}; reply ${tupleWords(e.reply)}`),
      );
    case 'route':
      return step('route', { 'data-decision': e.decision }, `routing: ${e.reason}`);
    case 'log':
      return step('log', {}, `log: ${e.text}`);
    case 'assume':
      return step('assume', {}, `assumed: ${e.what}`);
    case 'fate':
      return step('fate', { 'data-fate': e.fate, class: `step step-fate ${BAD_FATES.has(e.fate) ? 'bad' : 'good'}` }, `⇒ ${e.detail}`);
    case 'note':
      return step('note', {}, e.text);
    case 'encap':
      return step('encap', { 'data-action': e.action, 'data-host': e.host },
        e.action === 'encapsulate'
          ? `VXLAN on ${e.host}: ${packetWords(e.inner)} of overlay network ${e.network} goes into ${packetWords(e.outer)} (VNI ${e.vni})`
          : `VXLAN on ${e.host}: VNI ${e.vni} → overlay network ${e.network}; inside: ${packetWords(e.inner)}`);
    case 'packet':
    case 'conversation':
      return undefined;
  }
}

export function stepList(p: PacketView, texts: RuleTexts, showHosts: boolean): VNode {
  const items: VNode[] = [];
  let pending: Array<{ e: RuleEvent; host: string }> = [];
  let host = p.host;
  const flush = (): void => {
    if (pending.length) items.push(unmatchedGroup(pending, texts));
    pending = [];
  };
  if (showHosts) items.push(step('host', { 'data-host': host }, `on ${host}`));
  for (const he of p.events) {
    if (he.event.type === 'rule' && !he.event.matched) {
      pending.push({ e: he.event, host: he.host });
      continue;
    }
    flush();
    if (showHosts && he.host && he.host !== host) {
      host = he.host;
      items.push(step('host', { 'data-host': host }, `on ${host}`));
    }
    const s = eventStep(he, texts);
    if (s) items.push(s);
  }
  flush();
  return h('ol', { class: 'steps', 'data-testid': 'trace-steps', 'aria-label': `Steps of packet ${p.n} (${p.label})` }, items);
}
