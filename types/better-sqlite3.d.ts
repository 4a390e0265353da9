// better-sqlite3 12 ships no type declarations (and @types/better-sqlite3 is not a dependency):
// the part of its API the outbox uses, as documented in its docs/api.md.
declare module 'better-sqlite3' {
  namespace Database {
    interface RunResult {
      readonly changes: number;
      readonly lastInsertRowid: number | bigint;
    }
    interface Statement {
      run(...params: unknown[]): RunResult;
      get(...params: unknown[]): unknown;
      all(...params: unknown[]): unknown[];
      /** return only the first column of each row */
      pluck(on?: boolean): Statement;
    }
    interface Transaction<F extends (...args: never[]) => unknown> {
      (...args: Parameters<F>): ReturnType<F>;
      /** BEGIN IMMEDIATE: take the write lock at the start */
      immediate(...args: Parameters<F>): ReturnType<F>;
    }
    interface Database {
      prepare(sql: string): Statement;
      exec(sql: string): Database;
      pragma(source: string, options?: { simple?: boolean }): unknown;
      transaction<F extends (...args: never[]) => unknown>(fn: F): Transaction<F>;
      close(): Database;
      readonly open: boolean;
    }
    interface Options {
      readonly readonly?: boolean;
      readonly fileMustExist?: boolean;
      readonly timeout?: number;
    }
  }
  const Database: {
    new (filename: string, options?: Database.Options): Database.Database;
  };
  export default Database;
}
