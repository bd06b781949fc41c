/**
 * Workload 10: throughput of the snapshot codec (`runtime/state/codec.ts`: a check of the value,
 * or the careful walk, then msgpackr; decode: msgpackr, then the walk if the value took it) next
 * to plain `v8.serialize`/`v8.deserialize` (what the codec used until snapshot format 4) and
 * `JSON.stringify`/`JSON.parse`, on the same value, built once outside the measurement. One
 * iteration encodes (or decodes) the whole value. `npm run bench -- --only codec` compares the
 * encodings themselves (`benchmarks/codec.ts`).
 *
 * Values:
 * - `map`: the state of workload 7 as plain data with a little more per key: a `Map` of
 *   1,000,000 numbers to small objects `{ count, last }`.
 * - `mix`: 50,000 records keyed by a string, each with a `Date`, a `Set` of tags, a `Map` of
 *   scores, an array, a string, a boolean and a `null`.
 *
 * JSON has no `Map`, `Set` or `Date`: it is given the JSON-able equivalent of the value, built
 * beforehand (a map as an array of `[key, value]` pairs, a set as an array, a date as its ISO
 * string), and `JSON.parse` returns that equivalent: its decode does not rebuild the maps, sets
 * and dates the other two return. JSON's bytes are the length of its text (ASCII here), and the
 * text is not converted to a `Buffer`.
 *
 * Rate: entries (map) or records (mix) per second, so the ratios compare the time for the same
 * value; `info` has the bytes of each format, from which the report gives MB/s. Checksums: a
 * summary of the decoded value (encode variants decode their own bytes first).
 */
import { deserialize, serialize } from "node:v8";
import { createCodec } from "../../runtime/state/codec.js";

/** A system's codec with no application classes. */
const codec = createCodec();
import type { Runnable } from "../lib/types.js";

export const ENTRIES = 1_000_000;
export const RECORDS = 50_000;

type Value = "map" | "mix";
type Format = "codec" | "v8" | "json";

const T0 = Date.UTC(2026, 0, 1);

/** The value, and its JSON-able equivalent. */
function build(value: Value, n: number): { data: unknown; json: unknown } {
  if (value === "map") {
    const data = new Map<number, { count: number; last: number }>();
    for (let i = 0; i < n; i++) data.set(i, { count: (i % 97) + 1, last: i * 3 });
    return { data, json: [...data] };
  }
  const data = new Map<string, unknown>();
  const json: [string, unknown][] = [];
  for (let i = 0; i < n; i++) {
    const at = new Date(T0 + i * 1000);
    const tags = new Set(["user", i % 2 === 0 ? "even" : "odd", `group-${i % 7}`]);
    const scores = new Map([
      ["quality", i % 13],
      ["speed", i % 17],
    ]);
    const record = { id: i, name: `user ${i}`, at, tags, scores, history: [i, i + 1, i + 2], active: i % 3 === 0, note: null };
    data.set(`u${i}`, record);
    json.push([`u${i}`, { ...record, at: at.toISOString(), tags: [...tags], scores: [...scores] }]);
  }
  return { data, json };
}

/** A summary of a decoded value, in its own form or its JSON-able equivalent. */
function summary(value: Value, decoded: unknown): string {
  const entries = decoded instanceof Map ? [...decoded] : (decoded as [unknown, unknown][]);
  if (value === "map") {
    let sum = 0;
    for (const [k, v] of entries) sum += (k as number) + (v as { count: number }).count + (v as { last: number }).last;
    return `${entries.length} entries, sum ${sum}`;
  }
  let ids = 0;
  let time = 0;
  let tags = 0;
  let scores = 0;
  for (const [, r] of entries) {
    const record = r as { id: number; at: Date | string; tags: Set<string> | string[]; scores: Map<string, number> | [string, number][]; history: number[] };
    ids += record.id + record.history[2]!;
    time += (typeof record.at === "string" ? Date.parse(record.at) : record.at.getTime()) - T0;
    tags += record.tags instanceof Set ? record.tags.size : record.tags.length;
    for (const [, s] of record.scores) scores += s;
  }
  return `${entries.length} records, ids ${ids}, time ${time}, tags ${tags}, scores ${scores}`;
}

function encoder(format: Format): (value: unknown) => Uint8Array | string {
  switch (format) {
    case "codec":
      return (v) => codec.encode(v);
    case "v8":
      return (v) => serialize(v);
    case "json":
      return (v) => JSON.stringify(v);
  }
}

function decoder(format: Format): (bytes: Uint8Array | string) => unknown {
  switch (format) {
    case "codec":
      return (b) => codec.decode(b as Uint8Array);
    case "v8":
      return (b) => deserialize(b as Uint8Array);
    case "json":
      return (b) => JSON.parse(b as string);
  }
}

export function codecWorkload(value: Value, direction: "encode" | "decode", variant: string, quick: boolean): Runnable {
  if (variant !== "codec" && variant !== "v8" && variant !== "json") throw new Error(`codec: unknown variant ${variant}`);
  const format: Format = variant;
  const n = (value === "map" ? ENTRIES : RECORDS) / (quick ? 10 : 1);
  const built = build(value, n);
  const input = format === "json" ? built.json : built.data;
  const encode = encoder(format);
  const decode = decoder(format);
  const info = (bytes: Uint8Array | string): Record<string, number | string> => ({ bytes: bytes.length, count: n, per: value === "map" ? "entry" : "record" });
  if (direction === "encode") {
    let last: Uint8Array | string = "";
    return {
      kind: "runnable",
      units: n,
      run: () => (last = encode(input)),
      check: (written) => summary(value, decode(written as Uint8Array | string)),
      long: true,
      iterationLatency: true,
      info: () => info(last),
    };
  }
  const bytes = encode(input);
  return {
    kind: "runnable",
    units: n,
    run: () => decode(bytes),
    check: (decoded) => summary(value, decoded),
    long: true,
    iterationLatency: true,
    info: () => info(bytes),
  };
}
