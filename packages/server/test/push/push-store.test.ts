import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { PostgresPushStore } from "../../src/push/push-store.postgres.ts";
import { SqlitePushStore } from "../../src/push/push-store.sqlite.ts";
import { adminUrl, postgresSkip } from "../support/postgres.ts";
import { pushStoreContract } from "./push-store.contract.ts";

pushStoreContract("SQLite", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "courier-push-"));
  const store = SqlitePushStore.open({ dataDir: dir });
  return {
    store,
    async dispose() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

pushStoreContract(
  "PostgreSQL",
  async () => {
    // A fresh schema in the shared test database, dropped afterwards.
    const schema = `courier_push_${process.pid}_${Date.now()}`;
    const store = await PostgresPushStore.open({ url: adminUrl, schema });
    return {
      store,
      async dispose() {
        await store.close();
        const client = new pg.Client({ connectionString: adminUrl });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await client.end();
      },
    };
  },
  { skip: await postgresSkip() },
);
