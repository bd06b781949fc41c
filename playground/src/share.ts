/**
 * Share links: the editor's text in the URL's fragment, compressed with lz-string (URI-safe
 * alphabet), so that opening the link restores exactly the same text; with the example whose
 * other files the module imports (the shopping cart's), its name too, so that they come along.
 * The fragment never reaches a server.
 */
import { compressToEncodedURIComponent, decompressFromEncodedURIComponent } from "lz-string";

const CODE = "code=";
const WITH = "with=";

/** What a share link holds: the module's text and, when it imports files of an example, that example's name. */
export interface Shared {
  readonly text: string;
  readonly example?: string;
}

/** The fragment (with `#`) that holds `shared`. */
export function shareFragment(shared: Shared): string {
  return `#${shared.example === undefined ? "" : `${WITH}${encodeURIComponent(shared.example)}&`}${CODE}${compressToEncodedURIComponent(shared.text)}`;
}

/**
 * What the fragment holds, or `undefined` when it holds no code.
 *
 * @throws Error saying the link is damaged when its code does not decompress (a link cut short
 *   or mistyped)
 */
export function sharedModule(fragment: string): Shared | undefined {
  const params = new URLSearchParams(fragment.replace(/^#/, ""));
  const code = fragment.includes(CODE) ? fragment.slice(fragment.indexOf(CODE) + CODE.length).split("&")[0]! : undefined;
  if (code === undefined) return undefined;
  const text = decompressFromEncodedURIComponent(code);
  if (text === null) throw new Error(`the share link is damaged (its code, ${code.length} characters, does not decompress): copy the whole link again`);
  const example = params.get("with");
  return example === null ? { text } : { text, example };
}
