// Which of one tenant's webhooks an event type goes to, at a cost that depends on the type, not on
// how many webhooks the tenant has: exact types in a map, `prefix.*` patterns by their prefix (each
// prefix of the type is looked up once), `*` apart.

export class TenantIndex {
  private readonly exact = new Map<string, Set<string>>();
  /** `order.` → the webhooks subscribed to `order.*`. */
  private readonly prefixes = new Map<string, Set<string>>();
  private readonly everything = new Set<string>();

  add(id: string, patterns: readonly string[]): void {
    for (const pattern of patterns) {
      const [map, key] = this.slot(pattern);
      if (!map) {
        this.everything.add(id);
        continue;
      }
      const ids = map.get(key);
      if (ids) ids.add(id);
      else map.set(key, new Set([id]));
    }
  }

  remove(id: string, patterns: readonly string[]): void {
    for (const pattern of patterns) {
      const [map, key] = this.slot(pattern);
      if (!map) {
        this.everything.delete(id);
        continue;
      }
      const ids = map.get(key);
      ids?.delete(id);
      if (ids?.size === 0) map.delete(key);
    }
  }

  /**
   * The webhooks subscribed to `type`, each once. Herald's own operational events go only to
   * webhooks that name them, not to `*` (an endpoint taking every business event has not asked for
   * Herald's alarms).
   */
  match(type: string, operational: boolean): Set<string> {
    const found = new Set<string>(this.exact.get(type));
    if (this.prefixes.size > 0) {
      for (let dot = type.indexOf('.'); dot >= 0; dot = type.indexOf('.', dot + 1)) {
        const ids = this.prefixes.get(type.slice(0, dot + 1));
        if (ids) for (const id of ids) found.add(id);
      }
    }
    if (!operational) for (const id of this.everything) found.add(id);
    return found;
  }

  private slot(pattern: string): [Map<string, Set<string>> | undefined, string] {
    if (pattern === '*') return [undefined, ''];
    if (pattern.endsWith('.*')) return [this.prefixes, pattern.slice(0, -1)];
    return [this.exact, pattern];
  }
}
