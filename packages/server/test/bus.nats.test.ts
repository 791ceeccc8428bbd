import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { NatsBus } from "../src/routing/bus.nats.ts";
import { BusUnavailableError } from "../src/routing/bus.ts";
import { eventually, runBusContract } from "./bus.contract.ts";
import { dropNamespace, freshNamespace, natsSkip, natsUrl } from "./support/nats.ts";
import { TcpProxy } from "./support/tcp-proxy.ts";

const skip = await natsSkip();

if (skip === false) {
  runBusContract("nats", async () => {
    const namespace = freshNamespace();
    const [a, b] = await Promise.all([
      NatsBus.connect({ url: natsUrl, namespace }),
      NatsBus.connect({ url: natsUrl, namespace }),
    ]);
    return {
      a,
      b,
      close: async () => {
        await Promise.all([a.close(), b.close()]);
        await dropNamespace(natsUrl, namespace);
      },
    };
  });
}

describe("NatsBus: losing NATS", { skip }, () => {
  test("ready rejects while cut off; a dead node's users go offline after the TTL; all recovers", async () => {
    const namespace = freshNamespace();
    const target = new URL(natsUrl);
    const proxy = await TcpProxy.start(target.hostname, Number(target.port || 4222));
    const presenceTtlMs = 1500;
    const cutOff = await NatsBus.connect({
      url: `nats://127.0.0.1:${proxy.port}`,
      namespace,
      presenceTtlMs,
    });
    const other = await NatsBus.connect({ url: natsUrl, namespace, presenceTtlMs });
    try {
      const user = "alice";
      const got: unknown[] = [];
      cutOff.subscribe(user, (e) => got.push(e));
      let reconnects = 0;
      cutOff.onReconnect(() => reconnects++);
      await cutOff.ready();
      await cutOff.setPresence(user, true, Date.now());
      assert.equal((await other.presenceOf([user])).get(user)?.online, true);

      proxy.cut();
      await eventually(() => assert.rejects(cutOff.ready(), BusUnavailableError));
      // Its heartbeat lapses: the cluster stops counting its users.
      await eventually(async () => {
        assert.equal((await other.presenceOf([user])).get(user)?.online, false);
      }, presenceTtlMs * 4);

      proxy.restore();
      await eventually(() => cutOff.ready(), 10_000);
      // The reconnect is announced once, so that the node can make its clients resync.
      await eventually(() => assert.equal(reconnects, 1));
      // Back: its subscriptions and its users' presence are restored by themselves.
      await eventually(async () => {
        assert.equal((await other.presenceOf([user])).get(user)?.online, true);
      });
      other.publish(user, { revokeDevice: "x" });
      await eventually(() => assert.equal(got.length, 1));
    } finally {
      await Promise.all([cutOff.close(), other.close()]);
      await proxy.close();
      await dropNamespace(natsUrl, namespace);
    }
  });
});
