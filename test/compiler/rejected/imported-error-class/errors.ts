/** An error class of a module without operators (see input.ts). */
export class ImportedError extends Error {}
