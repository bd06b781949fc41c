/**
 * The careful walk of the codec (`codec.ts`), both ways, without recursion: a value nested
 * 100,000 levels deep is encoded and decoded like a flat one, and a problem is reported with
 * its path. Both directions are one depth-first walk over containers (`walk`), each container a
 * {@link Node} whose children are turned into their outputs one by one; the direction supplies
 * what a child becomes (`enter`).
 *
 * The encoded form is what the MessagePack encoder writes (msgpackr, see `codec.ts`), which
 * recurses: the walk keeps it shallow. Every container is written once, where the walk first
 * meets it; every other reference to it (sharing, cycles) and every container deeper than
 * {@link CUT} below the last cut is a `ref` record naming its slot in a side table of the
 * payload, where the container is written instead. So the encoder and its decoder never nest
 * deeper than about {@link CUT} levels, whatever the value.
 */

/** Key of the records the walk writes in place of what MessagePack would not keep (an unlikely key: user objects holding it are escaped). */
export const TAG = "\u0000portals:type";

/** Deeper than this below the root or the last cut, a container is written in the side table. */
export const CUT = 400;

/** What a child becomes when its node makes it only once its own children are done. */
export const PENDING: unique symbol = Symbol("pending");

/** A container being walked: its children, where their outputs go, and its place in the walk. */
export abstract class Node {
  /** The container's output: a shell that children are put into, or `PENDING` (see {@link Node.finish}). */
  abstract readonly out: unknown;
  /** Number of children. */
  abstract readonly size: number;
  /** Next child to walk. */
  next = 0;
  /** Levels below the root or the last cut (see {@link CUT}). */
  depth = 0;
  /** The node it is a child of, and which child, for paths; `null` for the root. */
  parent: Node | null = null;
  slot = 0;
  /** Child `i` (input). */
  abstract child(i: number): unknown;
  /** Stores the output of child `i`. */
  abstract put(i: number, value: unknown): void;
  /** The path of child `i` below this node, e.g. `.name`, `[3]`, `.get("k")`. */
  abstract label(i: number): string;
  /** The output, once every child is put (for a node whose {@link Node.out} is `PENDING`). */
  finish(): unknown {
    return this.out;
  }
  /** Called when the walk leaves the node (every child done). */
  done(): void {}
}

/**
 * A plain object whose keys MessagePack keeps (see {@link ordinaryKey}): children by own
 * enumerable key, copied into `out` (encoding) or decoded in place (`out` is `source`).
 */
export class ObjectNode extends Node {
  private readonly keys: string[];
  constructor(
    private readonly source: object,
    readonly out: object,
    /** False when `out` is `source` (decoding in place): a child that stays the same is not put back. */
    private readonly copies: boolean,
  ) {
    super();
    this.keys = Object.keys(source);
  }
  get size(): number {
    return this.keys.length;
  }
  child(i: number): unknown {
    return (this.source as Record<string, unknown>)[this.keys[i]!];
  }
  put(i: number, value: unknown): void {
    const key = this.keys[i]!;
    if (!this.copies && (this.out as Record<string, unknown>)[key] === value) return;
    (this.out as Record<string, unknown>)[key] = value;
  }
  label(i: number): string {
    return propertyLabel(this.keys[i]!);
  }
}

/**
 * True when MessagePack keeps `key` as an object key: not the codec's tag key (read back as a
 * record), not `__proto__` (which msgpackr renames, against prototype pollution) and well-formed
 * Unicode (a lone surrogate does not survive UTF-8). Objects with another key are written as
 * records of their properties ({@link PropsNode}).
 */
export function ordinaryKey(key: string): boolean {
  return key !== TAG && key !== "__proto__" && wellFormed(key);
}

/** True when `s` has no lone surrogate, so UTF-8 (what MessagePack strings are) keeps it. */
export function wellFormed(s: string): boolean {
  // ES2024; in every browser since 2023 and in Node 20.
  return (s as unknown as { isWellFormed(): boolean }).isWellFormed();
}

/** A string as the codec writes it: itself, or a record of its UTF-16 code units when it is not well-formed Unicode. */
export function escapeString(s: string): unknown {
  if (wellFormed(s)) return s;
  const units = new Array<number>(s.length);
  for (let i = 0; i < s.length; i++) units[i] = s.charCodeAt(i);
  return { [TAG]: "string", units };
}

/** The string {@link escapeString} wrote. */
export function unescapeString(written: unknown): string {
  if (typeof written === "string") return written;
  const units = (written as { units: number[] }).units;
  let s = "";
  // In slices: an argument list of millions overflows the stack.
  for (let i = 0; i < units.length; i += 8192) s += String.fromCharCode(...units.slice(i, i + 8192));
  return s;
}

/**
 * The own enumerable properties of an object written as a flat list `[key, value, key, value,
 * …]`, each key through {@link escapeString}: any key survives, `__proto__`, the tag key and
 * keys with lone surrogates included. The records of null-prototype objects, of arrays with
 * holes or other properties, and of objects with keys that are not {@link ordinaryKey} hold one.
 */
export class PropsNode extends Node {
  private readonly keys: string[];
  readonly out: unknown[] = [];
  constructor(private readonly source: object) {
    super();
    this.keys = Object.keys(source);
  }
  get size(): number {
    return this.keys.length;
  }
  child(i: number): unknown {
    return (this.source as Record<string, unknown>)[this.keys[i]!];
  }
  put(i: number, value: unknown): void {
    this.out.push(escapeString(this.keys[i]!), value);
  }
  label(i: number): string {
    return propertyLabel(this.keys[i]!);
  }
}

/** Decodes the flat list of a {@link PropsNode} into `out` (a null-prototype object, an object or an array), as own enumerable properties. */
export class EntriesNode extends Node {
  constructor(
    private readonly list: readonly unknown[],
    readonly out: object,
  ) {
    super();
  }
  get size(): number {
    return this.list.length >> 1;
  }
  child(i: number): unknown {
    return this.list[2 * i + 1];
  }
  put(i: number, value: unknown): void {
    // Defined, not assigned: an own "__proto__" key is data, and assigning it would set the prototype.
    Object.defineProperty(this.out, unescapeString(this.list[2 * i]), { value, enumerable: true, writable: true, configurable: true });
  }
  label(i: number): string {
    return propertyLabel(unescapeString(this.list[2 * i]));
  }
}

/**
 * An array without holes or other properties: children by index. A copy is grown by `push`, so
 * it stays packed. (An array with holes or properties is written as a record of its
 * properties: see `codec.ts`.)
 */
export class ArrayNode extends Node {
  constructor(
    private readonly source: unknown[],
    /** A new array, or `source` itself (decoding in place). */
    readonly out: unknown[],
  ) {
    super();
  }
  get size(): number {
    return this.source.length;
  }
  child(i: number): unknown {
    return this.source[i];
  }
  put(i: number, value: unknown): void {
    const out = this.out;
    if (out !== this.source) out.push(value);
    else if (out[i] !== value) out[i] = value;
  }
  label(i: number): string {
    return `[${i}]`;
  }
}

/** Arrays their maker vouched for ({@link vouchDense}). */
const vouched = new WeakSet<readonly unknown[]>();
/**
 * Arrays shorter than this are not recorded when vouched for: listing their keys costs less
 * than a look-up in {@link vouched} (and an atom of one event than adding its arrays there).
 */
const VOUCHED_FROM = 64;

/**
 * Records that `array` has an element at every index below its length and no other property,
 * and keeps both for as long as it lives: the engine's atoms (`engine/atom.ts`), whose arrays it
 * fills by index and never changes after. {@link isDense} then skips listing its keys, which
 * allocates a string per element: half of the cost of encoding an atom of 1,000 numbers, paid
 * by each checkpoint holding it and each message that carries it (docs/cluster.md, "Costs,
 * measured").
 */
export function vouchDense(array: readonly unknown[]): void {
  if (array.length >= VOUCHED_FROM) vouched.add(array);
}

/** True when `array` has an element at every index below its length and no other own enumerable property. */
export function isDense(array: unknown[]): boolean {
  const n = array.length;
  if (n >= VOUCHED_FROM && vouched.has(array)) return true;
  // Object.keys lists indices first: exactly 0..n-1 means no hole and no other property.
  const keys = Object.keys(array);
  return keys.length === n && (n === 0 || keys[n - 1] === String(n - 1));
}

/** A Map: children are its keys and values in turn; the output is a new Map, in the same order. */
export class MapNode extends Node {
  readonly out = new Map<unknown, unknown>();
  private readonly entries: [unknown, unknown][];
  private key: unknown;
  constructor(source: Map<unknown, unknown>) {
    super();
    this.entries = [...source];
  }
  get size(): number {
    return this.entries.length * 2;
  }
  child(i: number): unknown {
    return this.entries[i >> 1]![i & 1];
  }
  put(i: number, value: unknown): void {
    if ((i & 1) === 0) this.key = value;
    else this.out.set(this.key, value);
  }
  label(i: number): string {
    return (i & 1) === 0 ? `.keys[${i >> 1}]` : `.get(${describeKey(this.entries[i >> 1]![0])})`;
  }
}

/** A Set: children are its values; the output is a new Set, in the same order. */
export class SetNode extends Node {
  readonly out = new Set<unknown>();
  private readonly values: unknown[];
  constructor(source: Set<unknown>) {
    super();
    this.values = [...source];
  }
  get size(): number {
    return this.values.length;
  }
  child(i: number): unknown {
    return this.values[i];
  }
  put(_i: number, value: unknown): void {
    this.out.add(value);
  }
  label(i: number): string {
    return `.values[${i}]`;
  }
}

/**
 * A node of named fields (errors, registered instances): the children are the values of
 * `fields` in `source`, put into the same fields of `out`.
 */
export class FieldsNode extends Node {
  constructor(
    private readonly source: Record<string, unknown>,
    readonly out: unknown,
    private readonly fields: readonly string[],
    /** Path labels of the fields, e.g. `.cause`. */
    private readonly labels: readonly string[],
  ) {
    super();
  }
  get size(): number {
    return this.fields.length;
  }
  child(i: number): unknown {
    return this.source[this.fields[i]!];
  }
  put(i: number, value: unknown): void {
    const field = this.fields[i]!;
    if (!(this.out instanceof Error)) (this.out as Record<string, unknown>)[field] = value;
    // An error's `props` record holds its other own enumerable properties, put back as such.
    else if (field === "props") for (const [k, v] of Object.entries(value as object)) Object.defineProperty(this.out, k, { value: v, writable: true, configurable: true, enumerable: true });
    // Errors keep `cause` and `errors` as own non-enumerable properties, as their constructors make them.
    else Object.defineProperty(this.out, field, { value, writable: true, configurable: true, enumerable: false });
  }
  label(i: number): string {
    return this.labels[i]!;
  }
}

/**
 * Walks `root` depth first without recursion: `enter` turns each child into its output,
 * pushing a node (with {@link push}) for a container to walk; a child whose node's output is
 * `PENDING` is put when that node is done.
 */
export function walk(root: Node, enter: (child: unknown, parent: Node, slot: number, push: (node: Node) => void) => unknown): void {
  const stack: Node[] = [root];
  const push = (node: Node): void => void stack.push(node);
  while (stack.length > 0) {
    const node = stack[stack.length - 1]!;
    if (node.next < node.size) {
      const i = node.next++;
      const value = enter(node.child(i), node, i, push);
      if (value !== PENDING) node.put(i, value);
      continue;
    }
    stack.pop();
    node.done();
    if (node.out === PENDING && node.parent !== null) node.parent.put(node.slot, node.finish());
  }
}

/** Places `node` as child `slot` of `parent`, one level deeper (or at depth 0 when `cut`). */
export function adopt(node: Node, parent: Node, slot: number, cut: boolean): Node {
  node.parent = parent;
  node.slot = slot;
  node.depth = cut ? 0 : parent.depth + 1;
  return node;
}

/** The path of child `slot` of `node`, from `root`. */
export function pathOf(root: string, node: Node, slot: number): string {
  const labels = [node.label(slot)];
  for (let n: Node = node; n.parent !== null; n = n.parent) labels.push(n.parent.label(n.slot));
  return root + labels.reverse().join("");
}

function propertyLabel(key: string): string {
  if (/^\d+$/.test(key)) return `[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function describeKey(key: unknown): string {
  return typeof key === "string" ? JSON.stringify(key) : typeof key === "object" && key !== null ? "<object key>" : String(key);
}
