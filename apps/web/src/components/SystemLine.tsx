import type { SystemContent } from "@courier/protocol";
import { systemText } from "../lib/system-text.ts";

interface Props {
  content: SystemContent;
  me: string;
  name: (id: string) => string;
}

/** A group change in the history ("Ann added Ben"): a centred info line, plain text. */
export function SystemLine({ content, me, name }: Props) {
  return (
    <li className="system-line">
      <span className="system-line-text">{systemText(content, me, name)}</span>
    </li>
  );
}
