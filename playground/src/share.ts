/**
 * Share links: the editor's text in the URL's fragment, compressed with lz-string (URI-safe
 * alphabet), so that opening the link restores exactly the same text. The fragment never
 * reaches a server.
 */
import { compressToEncodedURIComponent, decompressFromEncodedURIComponent } from "lz-string";

const KEY = "code=";

/** The fragment (with `#`) that holds `text`. */
export function shareFragment(text: string): string {
  return `#${KEY}${compressToEncodedURIComponent(text)}`;
}

/** The text a fragment holds, or `undefined` when it holds none (or is damaged). */
export function sharedText(fragment: string): string | undefined {
  const at = fragment.indexOf(KEY);
  if (at < 0) return undefined;
  const text = decompressFromEncodedURIComponent(fragment.slice(at + KEY.length));
  return text === null || text === "" ? undefined : text;
}
