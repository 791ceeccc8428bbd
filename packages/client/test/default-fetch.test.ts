import assert from "node:assert/strict";
import { it } from "node:test";
import { CourierClient } from "../src/client.ts";

it("calls the default fetch unbound from the SDK's objects, as browsers require", async () => {
  const original = globalThis.fetch;
  const seen: unknown[] = [];
  // Like a browser's fetch: refuses to run as a method of anything but the global object.
  globalThis.fetch = function strictFetch(this: unknown) {
    seen.push(this);
    if (this !== undefined && this !== globalThis) throw new TypeError("Illegal invocation");
    return Promise.resolve(new Response(JSON.stringify([]), { status: 200 }));
  } as typeof fetch;
  try {
    const client = new CourierClient({ url: "http://courier.test" });
    await client.register({ username: "abc", password: "long enough" }).catch(() => {});
    assert.equal(seen.length, 1);
    assert.ok(seen[0] === undefined || seen[0] === globalThis);
  } finally {
    globalThis.fetch = original;
  }
});
