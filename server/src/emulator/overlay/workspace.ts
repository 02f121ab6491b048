/**
 * A workspace description of several Docker hosts joined by overlay networks
 * (nflens-workspace.json): each host's underlay address and rules file, the
 * overlay networks (name, subnet, VXLAN network id) and the containers on
 * them, each with its docker_gwbridge address on its host (described, or
 * allocated as Docker's IPAM would). Pure: parses text, never throws,
 * problems are diagnostics.
 */
import type { Diagnostic } from '../../lang/diagnostic';
import { parseCidr4Strict, parseIpv4Strict } from '../../lang/iptables/inet';
import { parseJson, prop, type JsonNode } from '../../lang/json';
import { inNet } from '../host/routing';
import { ip4 } from '../packet';
import { allocateAddresses, DEFAULT_GWBRIDGE, GWBRIDGE, usableOn, type GwBridge } from './gwbridge';

export interface OverlayHost {
  readonly name: string;
  /** The underlay address (eth0) other hosts reach this one at. */
  readonly underlay: number;
  readonly prefix: number;
  readonly gateway?: number;
  /** This host's iptables-save file, relative to the workspace file. */
  readonly rules?: string;
  /** The host's docker_gwbridge (Docker's default when not described). */
  readonly gwbridge: GwBridge;
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
  /** Its eth1 address on its host's docker_gwbridge; undefined when its host is unknown or the subnet is full. */
  readonly gwbridgeAddr?: number;
  /** True when the address was allocated here (in container order) rather than described. */
  readonly gwbridgeAllocated: boolean;
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
  const gwbridgeNodes = new Map<string, JsonNode>();
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
    const gwNode = prop(n, 'gwbridge')?.value;
    const gwbridge = readGwbridge(gwNode, err);
    if (gwNode) gwbridgeNodes.set(name, gwNode);
    hosts.push({ name, underlay, prefix: p && /^\d+$/.test(p) ? Number(p) : 24, ...(gateway !== undefined ? { gateway } : {}), ...(rules ? { rules } : {}), gwbridge });
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
  for (const h of hosts) {
    const clash = networks.find((x) => inNet(x.subnet.addr, h.gwbridge.net, Math.min(h.gwbridge.prefix, x.subnet.prefix)));
    const node = gwbridgeNodes.get(h.name);
    if (clash && node) diagnostics.push({ code: 'workspace-file', severity: 'warning', message: `${GWBRIDGE} ${ip4(h.gwbridge.net)}/${h.gwbridge.prefix} overlaps overlay network ${clash.name} (${ip4(clash.subnet.addr)}/${clash.subnet.prefix}): a container on both could not tell which interface an address is behind, and Docker never picks such a subnet.`, span: node.span });
  }
  const containers: OverlayContainer[] = [];
  /** "host address" of the described docker_gwbridge addresses. */
  const described = new Set<string>();
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
    const gwNode = prop(n, 'gwbridgeAddress')?.value;
    const gwText = gwNode?.kind === 'string' ? gwNode.value : undefined;
    const gw = parseIpv4Strict(gwText ?? '');
    const h = hosts.find((x) => x.name === host);
    if (gwNode && gw === undefined) err(gwNode, '"gwbridgeAddress" is an IPv4 address on the host\'s docker_gwbridge (e.g. "172.18.0.2").');
    else if (gw !== undefined && h && !usableOn(h.gwbridge, gw)) {
      err(gwNode!, `${gwText} cannot be a container's address on ${host}'s ${GWBRIDGE} (${ip4(h.gwbridge.net)}/${h.gwbridge.prefix}, gateway ${ip4(h.gwbridge.gateway)}).`);
    } else if (gw !== undefined && described.has(`${host} ${gw}`)) err(gwNode!, `Two containers on ${host} have the ${GWBRIDGE} address ${gwText}.`);
    const ok = gw !== undefined && !!h && usableOn(h.gwbridge, gw) && !described.has(`${host} ${gw}`);
    if (ok) described.add(`${host} ${gw}`);
    containers.push({ name, network, host, addr, ...(ok ? { gwbridgeAddr: gw } : {}), gwbridgeAllocated: !ok });
  }
  return { value: { hosts, networks, containers: allocateGwbridge(hosts, containers) }, diagnostics };
}

/** A host's "gwbridge": { "subnet", "gateway" }; Docker's default when absent or unreadable. */
function readGwbridge(node: JsonNode | undefined, err: (n: JsonNode, message: string) => void): GwBridge {
  if (!node) return DEFAULT_GWBRIDGE;
  const text = (key: string): string | undefined => {
    const v = prop(node, key)?.value;
    return v?.kind === 'string' ? v.value : undefined;
  };
  const subnet = parseCidr4Strict(text('subnet') ?? '');
  if (node.kind !== 'object' || !subnet || subnet.prefix > 30) {
    err(node, `"gwbridge" needs a "subnet" (CIDR, at most /30, e.g. "172.18.0.0/16") and may give the "gateway"; ${ip4(DEFAULT_GWBRIDGE.net)}/${DEFAULT_GWBRIDGE.prefix} is taken meanwhile.`);
    return DEFAULT_GWBRIDGE;
  }
  const given = parseIpv4Strict(text('subnet')!.split('/')[0]!);
  // dockerd refuses a subnet written with host bits ("it should be 172.18.0.0/16").
  if (given !== subnet.addr) err(prop(node, 'subnet')!.value, `${text('subnet')} is not a network address: Docker refuses it; write ${ip4(subnet.addr)}/${subnet.prefix}.`);
  const g: GwBridge = { net: subnet.addr, prefix: subnet.prefix, gateway: (subnet.addr + 1) >>> 0, described: true };
  const gwText = text('gateway');
  if (!prop(node, 'gateway')) return g;
  const gateway = parseIpv4Strict(gwText ?? '');
  const inside = gateway !== undefined && usableOn({ ...g, gateway: -1 }, gateway);
  if (!inside) {
    err(prop(node, 'gateway')!.value, `"gateway" must be an IPv4 address inside ${ip4(g.net)}/${g.prefix}, not its network or broadcast address; ${ip4(g.gateway)} is taken meanwhile.`);
    return g;
  }
  return { ...g, gateway };
}

/** Gives every container without a described docker_gwbridge address the first free one of its host, in container order. */
function allocateGwbridge(hosts: readonly OverlayHost[], containers: readonly OverlayContainer[]): OverlayContainer[] {
  const out = [...containers];
  for (const h of hosts) {
    const reserved = new Set(containers.filter((c) => c.host === h.name && c.gwbridgeAddr !== undefined).map((c) => c.gwbridgeAddr!));
    const todo = out.map((c, i) => [c, i] as const).filter(([c]) => c.host === h.name && c.gwbridgeAddr === undefined);
    const given = allocateAddresses(h.gwbridge, reserved, todo.length);
    todo.forEach(([c, i], k) => {
      const a = given[k];
      out[i] = a === undefined ? c : { ...c, gwbridgeAddr: a };
    });
  }
  return out;
}
