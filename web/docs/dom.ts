/** A small element builder: the page sets text, never HTML, so nothing an answer holds becomes markup. */

type Child = Node | string | undefined | false;

/**
 * Creates `<tag>` with attributes (a `class` string, `hidden`, ...) and children (text or nodes).
 * @example el('span', { class: 'status s2' }, '200')
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false) continue;
    node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) if (child !== undefined && child !== false) node.append(child);
  return node;
}
