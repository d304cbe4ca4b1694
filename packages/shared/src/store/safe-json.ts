/** The parsed JSON, or undefined for text that is not JSON (a stored record someone mangled). */
export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
