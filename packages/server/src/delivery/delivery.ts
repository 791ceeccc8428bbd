import { type ClientFrame, directPeer, ErrorCode } from "@courier/protocol";
import type { Connection } from "../gateway/connection.ts";
import type { DeliveryContext } from "./context.ts";
import { CursorBatcher } from "./cursors.ts";
import { errorFrame } from "./errors.ts";
import type { GroupReceipts } from "./group-receipts.ts";
import { isDirect } from "./membership.ts";
import { handleSend, isMemberOrReport } from "./send.ts";
import { handlePull } from "./sync.ts";

/**
 * Dispatches the frames of authenticated connections. Handlers never throw: each answers its own
 * failures with an error frame, so one bad frame cannot hurt the connection or the process.
 */
export class Delivery {
  readonly #ctx: DeliveryContext;
  readonly #cursors: CursorBatcher;

  constructor(ctx: DeliveryContext, groupReceipts?: GroupReceipts) {
    this.#ctx = ctx;
    this.#cursors = new CursorBatcher(ctx, groupReceipts);
  }

  /**
   * Stores the cursor moves still waiting that a sync of this user's device (or, without a
   * user, of any device) could read (see CursorBatcher.settle).
   */
  settleCursors(userId?: string): Promise<void> {
    return this.#cursors.settle(userId);
  }

  /** Shutdown: stores the cursor moves still waiting (see CursorBatcher). */
  close(): Promise<void> {
    return this.#cursors.close();
  }

  handle(conn: Connection, frame: ClientFrame): void {
    const ctx = this.#ctx;
    const done = (() => {
      switch (frame.t) {
        case "send":
          return handleSend(ctx, conn, frame);
        case "ack":
          return this.#moveCursor(conn, frame.conv, frame.seq, undefined);
        case "read":
          return this.#moveCursor(conn, frame.conv, frame.seq, frame.seq);
        case "typing":
          return this.#typing(conn, frame.conv, frame.on);
        case "pull":
          return handlePull(ctx, conn, frame);
        case "ping":
          conn.send(
            frame.n === undefined
              ? { t: "pong", time: Date.now() }
              : { t: "pong", n: frame.n, time: Date.now() },
          );
          return undefined;
        case "auth":
          return undefined; // the gateway consumed it; a second one is ignored
      }
    })();
    done?.catch((err: unknown) => ctx.log.error({ err, t: frame.t }, "frame handler failed"));
  }

  #moveCursor(
    conn: Connection,
    conversationId: string,
    delivered: number,
    read: number | undefined,
  ): Promise<void> | undefined {
    if (read !== undefined) return this.#moveReadCursor(conn, conversationId, read);
    // A plain ack of a group needs no check here: the store applies it only for a member, and
    // for one who left only up to their leaving, which is how their device stops being sent
    // their removal. A direct conversation's delivered receipt goes out before the store sees
    // the ack (CursorBatcher), so the ack must come from one of the two users its id names:
    // otherwise anyone could give a pair's messages two ticks.
    if (isDirect(conversationId) && directPeer(conversationId, conn.userId) === undefined) {
      conn.send(errorFrame(ErrorCode.notMember, "not a member of this conversation"));
      return undefined;
    }
    this.#cursors.move({ conversationId, userId: conn.userId, deviceId: conn.deviceId, delivered });
    return undefined;
  }

  /** Reading a message implies having it: a read moves both cursors, for members only. */
  async #moveReadCursor(conn: Connection, conversationId: string, read: number): Promise<void> {
    if (!(await isMemberOrReport(this.#ctx, conn, conversationId))) return;
    const { userId, deviceId } = conn;
    this.#cursors.move({ conversationId, userId, deviceId, delivered: read, read });
  }

  async #typing(conn: Connection, conversationId: string, on: boolean) {
    const members = await this.#ctx.membership.membersOf(conversationId);
    if (!members || !(await this.#ctx.membership.isMember(conversationId, conn.userId))) {
      await isMemberOrReport(this.#ctx, conn, conversationId);
      return;
    }
    const frame = { t: "typing", conv: conversationId, user: conn.userId, on } as const;
    for (const member of members) {
      if (member !== conn.userId) this.#ctx.router.toUser(member, { frame });
    }
  }
}
