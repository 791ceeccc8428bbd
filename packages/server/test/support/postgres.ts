import { randomBytes } from "node:crypto";
import pg from "pg";
import { describeError, type SkipReason, skipUnless } from "./services.ts";

/**
 * A throwaway PostgreSQL database per test run: created from the admin URL, dropped afterwards
 * (with FORCE, so that connections a killed node left behind do not keep it alive).
 */

/** Any database on the server will do; it is only used to create and drop test databases. */
export const adminUrl =
  process.env.COURIER_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** node:test skip option for suites that need PostgreSQL (throws under CI if it is down). */
export async function postgresSkip(): Promise<SkipReason> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return skipUnless("PostgreSQL", undefined);
  } catch (error) {
    return skipUnless(`PostgreSQL at ${redact(adminUrl)}`, describeError(error));
  } finally {
    await client.end().catch(() => {});
  }
}

export interface TestDatabase {
  /** Connection URL of the fresh database. */
  url: string;
  name: string;
  drop(): Promise<void>;
}

export async function freshDatabase(): Promise<TestDatabase> {
  const name = `courier_test_${randomBytes(6).toString("hex")}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** Runs one statement on the admin connection (database-level DDL cannot run in a transaction). */
export async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function redact(url: string): string {
  const u = new URL(url);
  u.password = "";
  return u.toString();
}

/**
 * A fresh schema inside `db`, for suites that want an empty store per test: cheaper than a
 * database. The returned URL selects it through the connection's search_path.
 */
export async function freshSchema(
  db: TestDatabase,
): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `s_${randomBytes(6).toString("hex")}`;
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await run(`CREATE SCHEMA ${schema}`);
  const url = new URL(db.url);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return { url: url.toString(), drop: () => run(`DROP SCHEMA IF EXISTS ${schema} CASCADE`) };
}
