/**
 * Relative imports between the files of an example, resolved as Node resolves them in the
 * repository: the page follows them to load an example's files, the worker to link the
 * compiled modules.
 */

/**
 * The path of relative `specifier` (`./cart.js`, `../x/y.js`) imported from the file at `from`,
 * both relative to the same root (`examples/shopping-cart/excerpt.ts` + `./cart.js` →
 * `examples/shopping-cart/cart.js`).
 */
export function resolveImport(from: string, specifier: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const part of specifier.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  return parts.join("/");
}
