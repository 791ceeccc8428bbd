import { defaultGroupAckDelayMs, timeOrderedId } from "@courier/client";
import { isDirectConversation, type ServerFrame } from "@courier/protocol";
import type { BenchSession } from "./accounts.ts";
import type { Driver, DriverTarget, Peer, PeerHooks } from "./driver.ts";
import { LeanSocket, type LeanSocketHooks } from "./lean-socket.ts";
import { SendTimes } from "./send-times.ts";

/**
 * `--raw`: the least a client must do to take part in the delivery flow, straight on the wire
 * protocol, with no SDK: authenticate, send, ack what arrives (one cumulative `ack` per
 * conversation per tick), pull what a large group's `notify` announces, and read `sent`/`receipt`.
 * Frames of one tick leave as one message, like the SDK's; a group's ack waits
 * `groupAckDelayMs` as the SDK's does (ReceiverOptions).
 * It exists to measure the SDK's own cost, and to hold many group members with a generator
 * that costs less per message than the server it measures. For the same reason its sockets are
 * LeanSockets, not `ws` clients: at 10,000 msgs/s of sparse traffic that took the generator from
 * 0.55 to 0.50 cores, which the server it shares two cores with gets back.
 */
export function rawDriver(target: DriverTarget, groupAckDelayMs = defaultGroupAckDelayMs): Driver {
  const wsUrl = `${target.url.replace(/^http/, "ws")}/ws`;
  const dirty: RawPeer[] = [];
  const flushAll = () => {
    const peers = dirty.splice(0);
    for (const peer of peers) peer.flush();
  };
  const markDirty = (peer: RawPeer) => {
    if (dirty.length === 0) setImmediate(flushAll);
    dirty.push(peer);
  };
  // One timer for every peer's delayed group acks: the SDK has one per client, which is the
  // same traffic for the server.
  let delayed: RawPeer[] = [];
  const ackLater = (peer: RawPeer) => {
    if (delayed.length === 0) {
      setTimeout(() => {
        const peers = delayed;
        delayed = [];
        for (const p of peers) p.releaseGroupAcks();
      }, groupAckDelayMs);
    }
    delayed.push(peer);
  };
  return {
    name: "raw",
    open(session: BenchSession, hooks: PeerHooks): Peer {
      const ackGroupsLater = groupAckDelayMs > 0 ? ackLater : undefined;
      return new RawPeer(
        (peerHooks) => new LeanSocket(wsUrl, peerHooks, target.localAddress),
        session,
        hooks,
        markDirty,
        // The SDK's client ids: time-ordered, so the server's idempotency index is appended to.
        timeOrderedId,
        ackGroupsLater,
      );
    },
  };
}

class RawPeer implements Peer {
  readonly #ws: LeanSocket;
  readonly #me: string;
  readonly #hooks: PeerHooks;
  readonly #markDirty: (peer: RawPeer) => void;
  readonly #newCid: () => string;
  #ready = false;
  #queue: string[] = [];
  /**
   * Per conversation: highest seq received, to ack in the next flush; 0 once acked. Entries
   * stay (a Map's `clear()` allocates a new table every flush, see SendTimes for why that
   * matters), and `#acksDue` counts those above 0.
   */
  #acks = new Map<string, number>();
  #acksDue = 0;
  /** Per group: highest seq received, to ack once the group ack delay is over. */
  #groupAcks = new Map<string, number>();
  readonly #ackGroupsLater: ((peer: RawPeer) => void) | undefined;
  /** My messages by cid until `sent` gives them a seq. */
  #unacked = new SendTimes<string>();
  /** My stored messages by conversation and seq, until a receipt covers them. */
  #undelivered = new Map<string, SendTimes<number>>();
  /** The peer's delivered cursor per conversation. */
  #peerDelivered = new Map<string, number>();
  /** Per conversation: highest seq received, where a pull starts. */
  #have = new Map<string, number>();
  /** Per large group: highest seq a `notify` announced, while a pull for it is out. */
  #pulling = new Map<string, number>();

  constructor(
    open: (hooks: LeanSocketHooks) => LeanSocket,
    session: BenchSession,
    hooks: PeerHooks,
    markDirty: (peer: RawPeer) => void,
    newCid: () => string,
    ackGroupsLater: ((peer: RawPeer) => void) | undefined,
  ) {
    this.#ackGroupsLater = ackGroupsLater;
    this.#me = session.user.id;
    this.#hooks = hooks;
    this.#markDirty = markDirty;
    this.#newCid = newCid;
    this.#ws = open({
      open: () => this.#ws.send(JSON.stringify({ t: "auth", token: session.token })),
      message: (text) => this.#receive(text),
      error: () => hooks.error("socket"),
      close: (code) => {
        if (code !== 1000 && code !== 1005) hooks.error(`close_${code}`);
      },
    });
  }

  send(conv: string, text: string, sentAt: number): void {
    const cid = this.#newCid();
    this.#unacked.push(cid, sentAt);
    this.#push(JSON.stringify({ t: "send", cid, conv, content: { type: "text", text } }));
  }

  close(): void {
    this.#ws.close(1000);
  }

  flush(): void {
    if (this.#acksDue > 0) {
      for (const [conv, seq] of this.#acks) {
        if (seq === 0) continue;
        this.#queue.push(JSON.stringify({ t: "ack", conv, seq }));
        this.#acks.set(conv, 0);
      }
      this.#acksDue = 0;
    }
    const q = this.#queue;
    if (q.length === 0 || !this.#ready) return;
    this.#queue = [];
    this.#ws.send(q.length === 1 ? (q[0] as string) : `[${q.join(",")}]`);
  }

  /** The group ack delay is over: what arrived meanwhile is acked in the next flush. */
  releaseGroupAcks(): void {
    for (const [conv, seq] of this.#groupAcks) this.#ackNow(conv, seq);
    this.#groupAcks.clear();
  }

  #ackNow(conv: string, seq: number): void {
    const due = this.#acks.get(conv) ?? 0;
    if (seq <= due) return;
    if (this.#queue.length === 0 && this.#acksDue === 0) this.#markDirty(this);
    if (due === 0) this.#acksDue++;
    this.#acks.set(conv, seq);
  }

  #push(frame: string): void {
    if (this.#queue.length === 0 && this.#acksDue === 0) this.#markDirty(this);
    this.#queue.push(frame);
  }

  /** One pull at a time per conversation, from the highest seq received, until `seq` is in. */
  #notified(conv: string, seq: number): void {
    const have = this.#have.get(conv) ?? 0;
    const out = this.#pulling.get(conv);
    if (out !== undefined) {
      if (seq > out) this.#pulling.set(conv, seq);
      return;
    }
    if (seq <= have) return;
    this.#pulling.set(conv, seq);
    this.#push(JSON.stringify({ t: "pull", conv, after: have }));
  }

  #receive(data: string): void {
    const value = JSON.parse(data) as ServerFrame | ServerFrame[];
    const frames = Array.isArray(value) ? value : [value];
    for (const f of frames) {
      switch (f.t) {
        case "msg": {
          if (f.seq > (this.#have.get(f.conv) ?? 0)) this.#have.set(f.conv, f.seq);
          this.#hooks.received(f.conv, f.seq, f.content.type === "text" ? f.content.text : "");
          if (isDirectConversation(f.conv) || this.#ackGroupsLater === undefined) {
            this.#ackNow(f.conv, f.seq);
            break;
          }
          if (this.#groupAcks.size === 0) this.#ackGroupsLater(this);
          if ((this.#groupAcks.get(f.conv) ?? 0) < f.seq) this.#groupAcks.set(f.conv, f.seq);
          break;
        }
        case "notify":
          // A large group's message too big to ride in its event: pull it, as the SDK does.
          this.#notified(f.conv, f.seq);
          break;
        case "pulled": {
          const announced = this.#pulling.get(f.conv) ?? 0;
          this.#pulling.delete(f.conv);
          // `more`: the page was full. Either way, pull on until what was announced is in.
          this.#notified(f.conv, f.more ? Math.max(announced, f.upTo + 1) : announced);
          break;
        }
        case "sent": {
          const sentAt = this.#unacked.take(f.cid);
          if (sentAt === undefined) break; // a resend's second `sent`: already counted
          this.#hooks.acked(sentAt);
          if (f.seq <= (this.#peerDelivered.get(f.conv) ?? 0)) {
            this.#hooks.delivered(sentAt);
            break;
          }
          let own = this.#undelivered.get(f.conv);
          if (own === undefined) {
            own = new SendTimes();
            this.#undelivered.set(f.conv, own);
          }
          // `sent` frames come in the order of the appends, so by increasing seq.
          own.push(f.seq, sentAt);
          break;
        }
        case "receipt": {
          if (f.user === this.#me) break;
          if (f.delivered <= (this.#peerDelivered.get(f.conv) ?? 0)) break;
          this.#peerDelivered.set(f.conv, f.delivered);
          const delivered = f.delivered;
          this.#undelivered.get(f.conv)?.shiftWhile(
            (seq) => seq <= delivered,
            (sentAt) => this.#hooks.delivered(sentAt),
          );
          break;
        }
        case "synced":
          this.#ready = true;
          this.#hooks.online();
          if (this.#queue.length > 0) this.#markDirty(this);
          break;
        case "error":
          this.#hooks.error(f.code);
          break;
        default:
          break;
      }
    }
  }
}
