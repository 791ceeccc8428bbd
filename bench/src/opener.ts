import type { BenchSession } from "./accounts.ts";
import type { Driver, Peer, PeerHooks } from "./driver.ts";

/**
 * Opens many clients with at most `concurrency` handshakes in flight (a burst of thousands of
 * SYNs would overflow the listen backlog), and reports how many are online.
 */
export function openAll(
  driver: Driver,
  sessions: BenchSession[],
  hooksFor: (index: number) => Omit<PeerHooks, "online">,
  onProgress: (online: number, total: number) => void,
  concurrency = 100,
): Peer[] {
  const peers = new Array<Peer>(sessions.length);
  let next = 0;
  let opening = 0;
  let online = 0;
  let lastReport = 0;
  const openMore = () => {
    while (opening < concurrency && next < sessions.length) {
      const index = next++;
      opening++;
      let first = true;
      peers[index] = driver.open(sessions[index] as BenchSession, {
        ...hooksFor(index),
        online: () => {
          if (!first) return;
          first = false;
          opening--;
          online++;
          const now = Date.now();
          if (online === sessions.length || now - lastReport > 500) {
            lastReport = now;
            onProgress(online, sessions.length);
          }
          openMore();
        },
      });
    }
  };
  openMore();
  if (sessions.length === 0) onProgress(0, 0);
  return peers;
}
