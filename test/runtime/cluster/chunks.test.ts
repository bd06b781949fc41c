/**
 * Chunks of atoms larger than one NATS message (docs/cluster.md, "Remote streams"): how an atom
 * is cut and joined, and where an export goes on after a crash left an atom partly published.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ChunkJoiner, chunkCount, chunkOf, chunksFit, parseChunk, resumeAfter } from "../../../runtime/cluster/chunks.js";

describe("cutting and joining", () => {
  test("an atom that fits is one message; one that does not is cut in chunks that each fit", () => {
    expect(chunkCount(10_000, 1_048_576)).toBe(1);
    expect(chunkCount(10_000, Infinity)).toBe(1);
    const count = chunkCount(3_000_000, 1_048_576);
    expect(count).toBe(3);
    expect(chunksFit(3_000_000, count, 1_048_576)).toBe(true);
    // Cut for a larger limit, the chunks no longer fit a lowered one.
    expect(chunksFit(3_000_000, 3, 65_536)).toBe(false);
  });

  test("any bytes cut for any limit join back to the same bytes, each chunk fitting", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.integer({ min: 1100, max: 6000 }), (bytes, limit) => {
        const count = chunkCount(bytes.length, limit);
        const joiner = new ChunkJoiner();
        let whole: Uint8Array | undefined;
        for (let index = 0; index < count; index++) {
          const part = chunkOf(bytes, { index, count });
          expect(part.length + 1024).toBeLessThanOrEqual(limit);
          whole = joiner.add(7, { index, count }, part);
          if (index < count - 1) expect(whole).toBeUndefined();
        }
        expect(whole).toEqual(bytes);
      }),
    );
  });

  test("a chunk out of order is refused naming both", () => {
    const joiner = new ChunkJoiner();
    joiner.add(3, { index: 0, count: 3 }, new Uint8Array([1]));
    expect(() => joiner.add(3, { index: 2, count: 3 }, new Uint8Array([3]))).toThrow("chunk 2/3 of atom 3 arrived where chunk 1/3 of atom 3 was due");
    expect(() => joiner.add(4, { index: 1, count: 2 }, new Uint8Array([3]))).toThrow("chunk 1/2 of atom 4 arrived where the first chunk of an atom was due");
  });

  test("the header: index/count, nothing else", () => {
    expect(parseChunk("2/5")).toEqual({ index: 2, count: 5 });
    for (const bad of [undefined, "", "5/5", "a/2", "1/2/3", "-1/2"]) expect(parseChunk(bad), String(bad)).toBeUndefined();
  });
});

describe("where an export goes on", () => {
  test("after a whole atom, or an atom's last chunk: with the next atom", () => {
    expect(resumeAfter(-1, undefined)).toEqual({ done: -1 });
    expect(resumeAfter(4, undefined)).toEqual({ done: 4 });
    expect(resumeAfter(4, { index: 2, count: 3 })).toEqual({ done: 4 });
  });

  test("after a chunk that is not its atom's last: with that atom's next chunk", () => {
    expect(resumeAfter(4, { index: 0, count: 3 })).toEqual({ done: 3, next: { number: 4, index: 1, count: 3 } });
    expect(resumeAfter(0, { index: 1, count: 3 })).toEqual({ done: -1, next: { number: 0, index: 2, count: 3 } });
  });
});
