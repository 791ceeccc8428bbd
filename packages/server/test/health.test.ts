import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { startCourier } from "./support/courier.ts";
import { freshDatabase, postgresSkip } from "./support/postgres.ts";
import { TcpProxy } from "./support/tcp-proxy.ts";

/** `/healthz` answers 200 only while both the bus and the store answer. */

const pgSkip = await postgresSkip();

async function health(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/healthz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("/healthz", () => {
  test("the embedded node (SQLite, memory bus) is healthy, and unhealthy once its store closed", async () => {
    const courier = await startCourier();
    try {
      assert.deepEqual(await health(courier.url), { status: 200, body: { ok: true } });
      await courier.store.close();
      const after = await health(courier.url);
      assert.equal(after.status, 503);
      assert.deepEqual([after.body.bus, after.body.store], [true, false]);
    } finally {
      await courier.stop();
    }
  });

  test("a PostgreSQL node reports its database going away and coming back", {
    skip: pgSkip,
  }, async () => {
    const db = await freshDatabase();
    const target = new URL(db.url);
    const proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
    const url = new URL(db.url);
    url.host = `127.0.0.1:${proxy.port}`;
    const courier = await startCourier({ COURIER_DATABASE_URL: url.toString() });
    try {
      assert.equal((await health(courier.url)).status, 200);
      proxy.cut();
      const down = await health(courier.url);
      assert.equal(down.status, 503);
      assert.deepEqual([down.body.bus, down.body.store], [true, false]);
      proxy.restore();
      assert.equal((await health(courier.url)).status, 200);
    } finally {
      await courier.stop();
      await proxy.close();
      await db.drop();
    }
  });
});
