// The numbered SQL migrations shipped with the app, parsed from migrations/NNN_name.sql.

/** One migration: its number (NNN), name, and SQL text. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const files = import.meta.glob<string>('./migrations/*.sql', {
  query: '?raw',
  import: 'default',
  eager: true,
});

/**
 * Parses migration files named `NNN_name.sql` into an ordered list.
 * @throws Error when a name does not match, a number repeats, or numbers have a gap (1, 2, 4…).
 */
export function parseMigrations(sources: Record<string, string>): Migration[] {
  const list = Object.entries(sources).map(([file, sql]) => {
    const m = /(\d{3})_([a-z0-9_]+)\.sql$/.exec(file);
    if (!m) throw new Error(`Migration file "${file}" must be named NNN_name.sql`);
    return { version: Number(m[1]), name: m[2]!, sql };
  });
  list.sort((a, b) => a.version - b.version);
  list.forEach((mig, i) => {
    if (mig.version !== i + 1)
      throw new Error(
        `Migrations must be numbered 001, 002, … without gaps; found ${String(mig.version).padStart(3, '0')}_${mig.name} at position ${i + 1}`,
      );
  });
  return list;
}

/**
 * Placeholder migrations some data dirs may have recorded: number → the placeholder's name. A branch
 * kept a number free for a migration merged later with `SELECT 1;`; a database that recorded the
 * placeholder under that number never ran the real migration, so {@link migrate} runs it then.
 */
export const PLACEHOLDERS: Readonly<Record<number, string>> = { 5: 'reserved_contain_core' };

/** The app's migrations, in order. */
export const MIGRATIONS: Migration[] = parseMigrations(files);
