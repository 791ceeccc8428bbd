import assert from "node:assert/strict";
import { it } from "node:test";
import { lowestOfOthers } from "../src/delivery/group-receipts.ts";

it("takes the lowest cursor of the others from the two lowest members", () => {
  const lowest = {
    delivered: [
      { userId: "ann", seq: 3 },
      { userId: "ben", seq: 5 },
    ],
    read: [
      { userId: "ben", seq: 1 },
      { userId: "cat", seq: 2 },
    ],
  };
  // Ann is the lowest deliverer: for her the others start at Ben; for Cat it is Ann.
  assert.deepEqual(lowestOfOthers(lowest, "ann"), { delivered: 5, read: 1 });
  assert.deepEqual(lowestOfOthers(lowest, "ben"), { delivered: 3, read: 2 });
  assert.deepEqual(lowestOfOthers(lowest, "cat"), { delivered: 3, read: 1 });
  // Alone in the group: nobody else to have it.
  const alone = { delivered: [{ userId: "ann", seq: 3 }], read: [{ userId: "ann", seq: 3 }] };
  assert.equal(lowestOfOthers(alone, "ann"), undefined);
});
