/**
 * A one-on-one conversation's id is derived from its two members, so "create on first message"
 * needs no lookup and two first messages racing each other land in the same conversation.
 */
export function directConversationId(userA: string, userB: string): string {
  return userA < userB ? `d:${userA}:${userB}` : `d:${userB}:${userA}`;
}

/** Direct conversation ids start with `d:`; every other conversation is a group. */
export function isDirectConversation(conversationId: string): boolean {
  return conversationId.startsWith("d:");
}

/** The two members a direct conversation's id names, or undefined if it is not direct. */
export function directMembers(conversationId: string): [string, string] | undefined {
  if (!isDirectConversation(conversationId)) return undefined;
  const [, a, b] = conversationId.split(":");
  return a === undefined || b === undefined ? undefined : [a, b];
}

/** The other member of a direct conversation, or undefined if `conversationId` is not direct or `me` is not in it. */
export function directPeer(conversationId: string, me: string): string | undefined {
  const [a, b] = directMembers(conversationId) ?? [];
  if (a === me) return b;
  if (b === me) return a;
  return undefined;
}
