/** Plain-words documentation of the base options and commands, for hover and completion. */

export const COMMAND_DOCS: Readonly<Record<string, string>> = {
  A: 'Append a rule at the end of the chain.',
  I: 'Insert a rule at a position in the chain (default: first).',
  D: 'Delete a rule, given by its number or by repeating its text exactly.',
  R: 'Replace the rule at a position.',
  C: 'Check whether an identical rule exists (prints nothing in a restore file).',
  N: 'Create a user chain.',
  X: 'Delete a user chain (it must be empty and unreferenced), or all user chains.',
  F: 'Flush: delete every rule of the chain, or of the whole table.',
  Z: 'Zero the packet and byte counters.',
  P: 'Set the policy of a built-in chain: what happens to packets that reach its end.',
  E: 'Rename a user chain.',
  L: 'List rules (prints to the console during the load).',
  S: 'Print rules (prints to the console during the load).',
};

export const BASE_OPTION_DOCS: Readonly<Record<string, string>> = {
  s: 'Source address: address[/prefix or mask], or a comma list (one rule per address).',
  d: 'Destination address: address[/prefix or mask], or a comma list (one rule per address).',
  i: 'Input interface (packets arriving on it). "eth+" matches every name starting with "eth". Only PREROUTING, INPUT and FORWARD see an input interface; elsewhere it is empty, so "! -i X" is always true there.',
  o: 'Output interface (packets leaving through it). "+" suffix is a prefix wildcard. Only FORWARD, OUTPUT and POSTROUTING see an output interface.',
  p: 'Protocol (tcp, udp, icmp, …, a number, or all). Also loads the protocol\'s own match, so "-p tcp --dport 80" works.',
  f: 'Second and later fragments only. With connection tracking loaded, packets are reassembled before iptables sees them, so this practically never matches.',
  j: 'Jump: what to do with a matching packet — a verdict (ACCEPT, DROP, RETURN), a target (LOG, DNAT, …) or a user chain to continue in (and come back from).',
  g: 'Goto a user chain: like -j, but a RETURN there goes back to the chain that called this one, not here.',
  m: 'Load a match module whose options follow.',
  c: 'Set this rule\'s packet and byte counters.',
};

export const STATE_NAMES = ['INVALID', 'NEW', 'RELATED', 'ESTABLISHED', 'UNTRACKED', 'SNAT', 'DNAT'] as const;
export const ADDRTYPE_NAMES = ['UNSPEC', 'UNICAST', 'LOCAL', 'BROADCAST', 'ANYCAST', 'MULTICAST', 'BLACKHOLE', 'UNREACHABLE', 'PROHIBIT', 'THROW', 'NAT', 'XRESOLVE'] as const;
export const PROTOCOL_COMPLETIONS = ['tcp', 'udp', 'icmp', 'icmpv6', 'udplite', 'sctp', 'dccp', 'esp', 'ah', 'gre', 'all'] as const;
