import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Cluster, haproxyBinary, sleep } from "./support/cluster.ts";
import { NatsServer, natsSkip, natsUrl } from "./support/nats.ts";
import { eventually, Peer } from "./support/peer.ts";
import { freshDatabase, postgresSkip } from "./support/postgres.ts";
import { TcpProxy } from "./support/tcp-proxy.ts";

/**
 * Failures during continuous traffic, and a checker afterwards: every message the server acked
 * reached the recipient device exactly once, in seq order, with no gaps.
 */

const skip = (await postgresSkip()) || (await natsSkip());

interface Pair {
  a: Peer;
  b: Peer;
}

/** Registers `count` pairs and brings them online; `peer()` says how each device connects. */
async function pairs(count: number, tag: string, peer: () => Peer): Promise<Pair[]> {
  const result: Pair[] = [];
  for (let i = 0; i < count; i += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, count - i) }, async (_, j) => ({
        a: await peer().register(`${tag}a${i + j}`),
        b: await peer().register(`${tag}b${i + j}`),
      })),
    );
    result.push(...batch);
  }
  await Promise.all(result.flatMap((p) => [p.a.online(), p.b.online()]));
  return result;
}

/** Both sides of every pair send to each other every `everyMs` until `stop` resolves. */
async function traffic(all: Pair[], everyMs: number, stop: Promise<void>): Promise<number> {
  let running = true;
  void stop.then(() => {
    running = false;
  });
  let sent = 0;
  await Promise.all(
    all.flatMap(({ a, b }) =>
      [
        [a, b],
        [b, a],
      ].map(async ([from, to]) => {
        const f = from as Peer;
        const t = to as Peer;
        await sleep(Math.random() * everyMs);
        for (let n = 0; running; n++) {
          await f.send({ to: t.user.id }, `${f.user.username}#${n}`);
          sent++;
          await sleep(everyMs);
        }
      }),
    ),
  );
  return sent;
}

/**
 * Waits until every outbox drained and every recipient has every message, then checks each
 * direction: the recipient's stream from the sender is exactly the sender's acked messages,
 * each once, in seq order, and the conversation's seqs (both senders) are 1..n without a gap.
 */
async function check(all: Pair[], ms: number): Promise<{ acked: number }> {
  let acked = 0;
  await eventually(async () => {
    for (const { a, b } of all) {
      for (const [from, to] of [
        [a, b],
        [b, a],
      ] as const) {
        assert.deepEqual(await from.client.outbox(), [], `${from.user.username}: outbox drained`);
        assert.equal(from.errors.length, 0, from.errors.join(", "));
        const got = to.receivedFrom(from.user.id);
        assert.equal(
          got.length,
          from.acked.size,
          `${to.user.username} has all of ${from.user.username}'s`,
        );
      }
    }
  }, ms);
  for (const { a, b } of all) {
    const seqs: number[] = [];
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      const got = to.receivedFrom(from.user.id);
      const cids = got.map((m) => m.cid);
      assert.equal(new Set(cids).size, cids.length, "each message once");
      const expected = [...from.acked.values()].sort((x, y) => (x.seq ?? 0) - (y.seq ?? 0));
      assert.deepEqual(
        cids,
        expected.map((m) => m.cid),
        "in seq order, exactly the acked ones",
      );
      const gotSeqs = got.map((m) => m.seq as number);
      assert.deepEqual(
        gotSeqs,
        gotSeqs.toSorted((x, y) => x - y),
      );
      seqs.push(...gotSeqs);
      acked += got.length;
    }
    assert.deepEqual(
      seqs.toSorted((x, y) => x - y),
      Array.from({ length: seqs.length }, (_, i) => i + 1),
      "the conversation's seqs have no gap",
    );
  }
  return { acked };
}

/** What the failure did to the clients, for the test's diagnostics. */
function impact(all: Pair[]): string {
  const peers = all.flatMap((p) => [p.a, p.b]);
  const reconnected = peers.filter((p) => p.sessions > 1).length;
  const codes = new Map<string, number>();
  for (const p of peers) {
    for (const [code, n] of p.serverErrors) codes.set(code, (codes.get(code) ?? 0) + n);
  }
  const errors = [...codes].map(([code, n]) => `${code} x${n}`).join(", ") || "none";
  return `${reconnected} of ${peers.length} devices reconnected; server errors: ${errors}`;
}

describe("cluster chaos", { skip, timeout: 300_000 }, () => {
  test("kill -9 of a node during 100 pairs of traffic loses nothing acked", async (t) => {
    const lb = haproxyBinary() !== undefined;
    if (!lb) t.diagnostic("haproxy not installed: clients fail over by rotating node URLs");
    const db = await freshDatabase();
    const cluster = await Cluster.start({
      nodes: 3,
      databaseUrl: db.url,
      natsUrl,
      loadBalancer: lb,
    });
    let all: Pair[] = [];
    try {
      const urls = cluster.nodes.map((n) => n.url);
      let k = 0;
      all = await pairs(100, "k", () =>
        lb
          ? new Peer({ url: cluster.url })
          : new Peer({
              url: cluster.url,
              wsUrls: [...urls.slice(k % 3), ...urls.slice(0, k++ % 3)],
            }),
      );
      const victim = cluster.nodes[1];
      assert.ok(victim);
      const stop = (async () => {
        await sleep(2500);
        await victim.kill();
        await sleep(2500);
        await victim.start();
        await sleep(2500);
      })();
      const sent = await traffic(all, 400, stop);
      const { acked } = await check(all, 60_000);
      t.diagnostic(`${sent} sent, ${acked} acked and delivered exactly once, in order`);
      t.diagnostic(impact(all));
      assert.ok(acked >= sent, "every send was eventually acked");
    } finally {
      Peer.disconnectAll(); // also the devices of pairs that failed half-way through setup
      await cluster.stop();
      await db.drop();
    }
  });

  test("a NATS restart during traffic loses nothing acked", async (t) => {
    const nats = await NatsServer.start();
    const db = await freshDatabase();
    const cluster = await Cluster.start({ nodes: 3, databaseUrl: db.url, natsUrl: nats.url });
    let all: Pair[] = [];
    try {
      let k = 0;
      all = await pairs(20, "n", () => {
        const url = cluster.nodes[k++ % 3]?.url as string;
        return new Peer({ url, wsUrls: [url] });
      });
      const stop = (async () => {
        await sleep(2000);
        await nats.restart();
        await sleep(3000);
      })();
      const sent = await traffic(all, 200, stop);
      const { acked } = await check(all, 60_000);
      t.diagnostic(`${sent} sent, ${acked} acked and delivered exactly once, in order`);
      t.diagnostic(impact(all));
    } finally {
      Peer.disconnectAll(); // also the devices of pairs that failed half-way through setup
      await cluster.stop();
      await db.drop();
      await nats.stop();
    }
  });

  test("PostgreSQL unreachable for 2 s during traffic: sends wait, nothing acked is lost", async (t) => {
    const db = await freshDatabase();
    const target = new URL(db.url);
    const proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
    const viaProxy = new URL(db.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    const cluster = await Cluster.start({
      nodes: 3,
      databaseUrl: viaProxy.toString(),
      natsUrl,
    });
    let all: Pair[] = [];
    try {
      let k = 0;
      all = await pairs(20, "p", () => {
        const url = cluster.nodes[k++ % 3]?.url as string;
        return new Peer({ url, wsUrls: [url] });
      });
      const stop = (async () => {
        await sleep(2000);
        proxy.cut();
        await sleep(2000);
        proxy.restore();
        await sleep(3000);
      })();
      const sent = await traffic(all, 200, stop);
      const { acked } = await check(all, 60_000);
      t.diagnostic(`${sent} sent, ${acked} acked and delivered exactly once, in order`);
      t.diagnostic(impact(all));
    } finally {
      Peer.disconnectAll(); // also the devices of pairs that failed half-way through setup
      await cluster.stop();
      await proxy.close();
      await db.drop();
    }
  });
});
