// Call loops: a model that asks for the same tool call again in one turn (small models do, after a tool result).

/**
 * The arguments as canonical JSON (keys sorted, no spacing, string values trimmed: a model that adds a
 * trailing newline to the same content asks for the same thing), or the trimmed text when not JSON.
 */
export function canonicalArguments(args: string): string {
  const sort = (v: unknown): unknown => {
    if (typeof v === 'string') return v.trim();
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object')
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    return v;
  };
  try {
    return JSON.stringify(sort(JSON.parse(args)));
  } catch {
    return args.trim();
  }
}

/**
 * Remembers the tool calls of one turn (name + canonical arguments). A call already made in the turn
 * is a repeat: its result is already in the conversation, so running it again cannot help.
 */
export class CallLoopGuard {
  private readonly seen = new Map<string, number>();

  /**
   * Records a call and says how many times this same call was asked for in the turn before (0 = new).
   * @param args the arguments as the model wrote them (JSON text).
   */
  note(name: string, args: string): number {
    const key = `${name}\u0000${canonicalArguments(args)}`;
    const before = this.seen.get(key) ?? 0;
    this.seen.set(key, before + 1);
    return before;
  }
}
