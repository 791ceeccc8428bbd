/** Reads one sample of a metric from /metrics, 0 when absent. */
export async function metric(baseUrl: string, name: string, labels = ""): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ""} `));
  return line ? Number(line.split(" ").at(-1)) : 0;
}
