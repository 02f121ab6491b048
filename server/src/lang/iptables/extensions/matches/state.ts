/**
 * state match (extensions/libxt_conntrack.c, the "state" entries): an alias
 * of conntrack. iptables sends it to the kernel as conntrack revision 3 with
 * only the state test (net/netfilter/xt_conntrack.c), so it has no table,
 * hook or protocol restriction. Only --state, and only the five plain states.
 */
import { defineExtension } from '../../extension';
import { canonicalStates, ctStatesText, parseNameList, type CtState } from './conntrack';

/** The states --state accepts (no SNAT/DNAT, unlike --ctstate). */
export type StateName = Extract<CtState, 'INVALID' | 'NEW' | 'ESTABLISHED' | 'RELATED' | 'UNTRACKED'>;

export interface StateMatch {
  /** The packet's conntrack state must be one of these (none of them when inverted); in print order. */
  states: StateName[];
  invert: boolean;
}

const PARSE_ORDER: readonly StateName[] = ['INVALID', 'NEW', 'ESTABLISHED', 'RELATED', 'UNTRACKED'];

export const state = defineExtension<StateMatch>({
  kind: 'match',
  name: 'state',
  summary: 'Matches the connection-tracking state (INVALID, NEW, ESTABLISHED, RELATED, UNTRACKED); the older spelling of -m conntrack --ctstate.',
  options: [{ name: 'state', id: 0, type: 'string', mand: true, invert: true, doc: 'INVALID, NEW, ESTABLISHED, RELATED, UNTRACKED (comma list)' }],
  init: () => ({ states: [], invert: false }),
  parse(c) {
    c.data.states = canonicalStates(parseNameList(
      c.arg ?? '',
      PARSE_ORDER,
      (rest) => c.fail(`Bad state "${rest}" — --state takes INVALID, NEW, ESTABLISHED, RELATED and UNTRACKED (for SNAT/DNAT use -m conntrack --ctstate).`),
      () => c.fail('"--state" requires a list of states with no spaces, e.g. ESTABLISHED,RELATED'),
    ));
    c.data.invert = c.invert;
  },
  save: (d) => `${d.invert ? '! ' : ''}--state ${ctStatesText(d.states)}`,
  describe: (d) => `connection state ${d.invert ? 'not ' : ''}${d.states.join('/')}`,
});
