/** Port ranges shared by tcp, udp and friends. */

export type PortRange = readonly [number, number];
export const ANY_PORT: PortRange = [0, 65535];

export function isAnyPort(r: PortRange): boolean {
  return r[0] === 0 && r[1] === 65535;
}

export function portRangeText(r: PortRange): string {
  return r[0] === r[1] ? String(r[0]) : `${r[0]}:${r[1]}`;
}

export function describePorts(what: string, r: PortRange, invert: boolean): string {
  const body = r[0] === r[1] ? `port ${r[0]}` : `ports ${r[0]}–${r[1]}`;
  return `${what} ${invert ? 'not ' : ''}${body}`;
}
