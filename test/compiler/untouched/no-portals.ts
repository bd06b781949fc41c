// A module of ordinary async code that does not use portals-ts: methods named like operators,
// an HTTP client's request(), module-level async functions.
declare const http: { request(url: string): Promise<string>; asker(f: () => Promise<void>): void };
declare const flow: { map(f: (x: number) => Promise<number>): void };

export async function fetchAll(urls: string[]): Promise<string[]> {
  return await Promise.all(urls.map(async (url) => await http.request(url)));
}

async function helper(): Promise<string> {
  return await http.request("/health");
}

flow.map(async (x) => x + (await Promise.resolve(1)));
http.asker(async () => void (await helper()));
