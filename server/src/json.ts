/** `JSON.parse` for text from outside the process: undefined when it is not JSON, for a schema to reject. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
