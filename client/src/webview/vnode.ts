/**
 * A small virtual node tree and its HTML text. Every text child and every
 * attribute value is escaped here, in one place, so the rendering code
 * cannot forget it: rule text, chain names and comments come from the
 * user's file. Pure (no DOM): the webview sets the HTML, tests read the tree.
 */
export interface VNode {
  readonly tag: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly Child[];
}

export type Child = VNode | string;

/** Attribute values: false/undefined/null leave the attribute out, true writes it empty. */
export type AttrValue = string | number | boolean | undefined | null;
type ChildArg = Child | false | null | undefined | readonly ChildArg[];

const NAME = /^[a-zA-Z][a-zA-Z0-9:-]*$/;
const VOID = new Set(['br', 'hr', 'img', 'input', 'meta', 'link']);

function flatten(args: readonly ChildArg[], out: Child[]): Child[] {
  for (const a of args) {
    if (a === false || a === null || a === undefined) continue;
    if (Array.isArray(a)) flatten(a as readonly ChildArg[], out);
    else out.push(a as Child);
  }
  return out;
}

export function h(tag: string, attrs: Readonly<Record<string, AttrValue>> = {}, ...children: ChildArg[]): VNode {
  if (!NAME.test(tag)) throw new Error(`bad tag name ${tag}`);
  const a: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (!NAME.test(k) || /^on/i.test(k)) throw new Error(`bad attribute name ${k}`);
    if (v === false || v === undefined || v === null) continue;
    a[k] = v === true ? '' : String(v);
  }
  return { tag, attrs: a, children: flatten(children, []) };
}

export function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeAttr(s: string): string {
  return escapeText(s).replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export function toHtml(node: Child): string {
  if (typeof node === 'string') return escapeText(node);
  const attrs = Object.entries(node.attrs).map(([k, v]) => (v === '' ? ` ${k}` : ` ${k}="${escapeAttr(v)}"`)).join('');
  if (VOID.has(node.tag)) return `<${node.tag}${attrs}>`;
  return `<${node.tag}${attrs}>${node.children.map(toHtml).join('')}</${node.tag}>`;
}

/** The text a node reads as (for labels and tests). */
export function textOf(node: Child): string {
  return typeof node === 'string' ? node : node.children.map(textOf).join('');
}

/** Every node under (and including) `node` that satisfies `pred`, in document order. */
export function findAll(node: Child, pred: (n: VNode) => boolean): VNode[] {
  if (typeof node === 'string') return [];
  const out: VNode[] = pred(node) ? [node] : [];
  for (const c of node.children) out.push(...findAll(c, pred));
  return out;
}

/** Nodes by their data-testid. */
export function byTestId(node: Child, id: string): VNode[] {
  return findAll(node, (n) => n.attrs['data-testid'] === id);
}
