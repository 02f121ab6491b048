/**
 * A workspace description of several Docker hosts joined by overlay networks
 * (nflens-workspace.json): each host's underlay address and rules file, the
 * overlay networks (name, subnet, VXLAN network id) and the containers on
 * them. Pure: parses text, never throws, problems are diagnostics.
 */
import type { Diagnostic } from '../../lang/diagnostic';
import { parseCidr4Strict, parseIpv4Strict } from '../../lang/iptables/inet';
import { parseJson, prop, type JsonNode } from '../../lang/json';

export interface OverlayHost {
  readonly name: string;
  /** The underlay address (eth0) other hosts reach this one at. */
  readonly underlay: number;
  readonly prefix: number;
  readonly gateway?: number;
  /** This host's iptables-save file, relative to the workspace file. */
  readonly rules?: string;
}

export interface OverlayNetwork {
  readonly name: string;
  readonly subnet: { readonly addr: number; readonly prefix: number };
  readonly vni: number;
}

export interface OverlayContainer {
  readonly name: string;
  readonly network: string;
  readonly host: string;
  readonly addr: number;
}

export interface Workspace {
  readonly hosts: readonly OverlayHost[];
  readonly networks: readonly OverlayNetwork[];
  readonly containers: readonly OverlayContainer[];
}

export function parseWorkspace(text: string): { value: Workspace; diagnostics: Diagnostic[] } {
  const parsed = parseJson(text);
  const diagnostics: Diagnostic[] = [...parsed.diagnostics];
  const root = parsed.value;
  const err = (n: JsonNode, message: string): void => void diagnostics.push({ code: 'workspace-file', severity: 'error', message, span: n.span });
  const list = (key: string): JsonNode[] => {
    const v = prop(root, key)?.value;
    return v?.kind === 'array' ? v.items : [];
  };
  const s = (n: JsonNode, key: string): string | undefined => {
    const v = prop(n, key)?.value;
    return v?.kind === 'string' ? v.value : undefined;
  };
  const hosts: OverlayHost[] = [];
  for (const n of list('hosts')) {
    const name = s(n, 'name');
    const [a, p] = (s(n, 'underlay') ?? '').split('/');
    const underlay = parseIpv4Strict(a ?? '');
    if (!name || underlay === undefined) {
      err(n, 'A host needs a "name" and an "underlay" address (e.g. "10.10.126.101/24").');
      continue;
    }
    const gateway = parseIpv4Strict(s(n, 'gateway') ?? '');
    const rules = s(n, 'rules');
    hosts.push({ name, underlay, prefix: p && /^\d+$/.test(p) ? Number(p) : 24, ...(gateway !== undefined ? { gateway } : {}), ...(rules ? { rules } : {}) });
  }
  const networks: OverlayNetwork[] = [];
  for (const n of list('networks')) {
    const name = s(n, 'name');
    const subnet = parseCidr4Strict(s(n, 'subnet') ?? '');
    const vniNode = prop(n, 'vni')?.value;
    const vni = vniNode?.kind === 'number' && Number.isInteger(vniNode.value) && vniNode.value >= 0 && vniNode.value <= 0xffffff ? vniNode.value : undefined;
    if (!name || !subnet || vni === undefined) {
      err(n, 'An overlay network needs a "name", a "subnet" (CIDR) and a "vni" (0 to 16777215).');
      continue;
    }
    if (networks.some((x) => x.vni === vni)) err(n, `VNI ${vni} is used by two networks: the receiving host could not tell them apart.`);
    networks.push({ name, subnet: { addr: subnet.addr, prefix: subnet.prefix }, vni });
  }
  const containers: OverlayContainer[] = [];
  for (const n of list('containers')) {
    const name = s(n, 'name');
    const network = s(n, 'network');
    const host = s(n, 'host');
    const addr = parseIpv4Strict(s(n, 'address') ?? '');
    if (!name || !network || !host || addr === undefined) {
      err(n, 'A container needs a "name", a "network", a "host" and an "address".');
      continue;
    }
    const net = networks.find((x) => x.name === network);
    if (!net) err(n, `No overlay network "${network}".`);
    else if (((addr ^ net.subnet.addr) >>> (32 - net.subnet.prefix)) !== 0) err(n, `${s(n, 'address')} is outside ${network}'s subnet.`);
    if (!hosts.some((h) => h.name === host)) err(n, `No host "${host}".`);
    if (containers.some((c) => c.network === network && c.addr === addr)) err(n, `Two containers of ${network} have the address ${s(n, 'address')}.`);
    containers.push({ name, network, host, addr });
  }
  return { value: { hosts, networks, containers }, diagnostics };
}
