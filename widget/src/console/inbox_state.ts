// The inbox's state, apart from the DOM (unit-tested with node:test in
// test/unit/). It merges the three sources of a conversation's state — REST
// snapshots, `conversation` frames and the messages, acks and receipts the
// console sees — and answers what the views ask: unread counts for the
// signed-in agent, queues, counts, order, the preview line, the title count
// and whether a change deserves a sound and a notification.
//
// Merge rule (frames and snapshots may arrive in any order, and twice):
//   - last_seq is the max seen; preview and last sender come from the source
//     with the highest last_seq (an equal one fills a missing preview);
//   - status, assignee and closed_at come from the latest updated_at (ties:
//     the newer arrival);
//   - my own read mark only rises: REST gives it (agent_read_seq is the
//     caller's own mark there), as do my read frames and `receipt` frames of
//     side "agent" naming me; in frames agent_read_seq is the agent side
//     (any agent), which never touches my mark.

/** A conversation as REST and `conversation` frames describe it. */
export interface ConversationData {
  id: string;
  visitor_id: string;
  widget_id?: string;
  assignee_id?: string | null;
  status: "open" | "closed";
  last_seq: number;
  visitor_read_seq: number;
  agent_read_seq: number;
  created_at: string;
  updated_at: string;
  closed_at?: string | null;
  preview?: string;
  last_sender_kind?: string;
  last_sender_id?: string;
  unread_count?: number;
}

/** A conversation in the inbox: the merged state plus what only the console knows. */
export interface Row extends ConversationData {
  assignee_id: string | null;
  /** The signed-in agent's own read mark. */
  myRead: number;
  /** The agent side's read mark (any agent), from frames and receipts. */
  agentSideRead: number;
  preview: string;
  last_sender_kind: string;
  /** Who wrote the newest message, when known ("" otherwise). */
  last_sender_id: string;
  /** Newest activity (ms since epoch): a message, an assignment, a close. */
  activityAt: number;
}

/** A message the console saw (a `message` frame, or the ack of its own send). */
export interface SeenMessage {
  conversation_id: string;
  seq: number;
  sender_kind: string;
  sender_id?: string;
  text: string;
  created_at: string;
}

/** A `receipt` frame's data. */
export interface ReceiptData {
  conversation_id: string;
  side: string;
  seq: number;
  agent_id?: string;
}

/** What one update did to a conversation. */
export interface Change {
  prev: Row | undefined;
  next: Row;
  /** last_seq rose: at least one new message. */
  newMessage: boolean;
  /** status or assignee changed. */
  stateChanged: boolean;
}

/** A queue of the inbox. */
export type Queue = "mine" | "unassigned" | "all" | "closed";

/** The queues in tab order. */
export const queues: Queue[] = ["mine", "unassigned", "all", "closed"];

/** The longest preview kept, in code points (as the server cuts it). */
export const PREVIEW_LENGTH = 140;

/** previewOf is a message's one-line preview: whitespace collapsed, trimmed, cut with "…". */
export function previewOf(text: string): string {
  const one = text.replace(/\s+/g, " ").trim();
  const chars = Array.from(one);
  return chars.length > PREVIEW_LENGTH ? chars.slice(0, PREVIEW_LENGTH).join("") + "…" : one;
}

function time(iso: string | null | undefined): number {
  const t = Date.parse(iso ?? "");
  return Number.isFinite(t) ? t : 0;
}

/** The organisation's conversations as the signed-in agent sees them. */
export class InboxState {
  /** The conversations by id. */
  readonly rows = new Map<string, Row>();

  /** me is the signed-in agent's id. */
  constructor(public me = "") {}

  /** Forgets everything (sign-out). */
  clear(): void {
    this.rows.clear();
  }

  /** Applies a REST conversation object (agent_read_seq is my own mark there). */
  applyRest(c: ConversationData): Change {
    const mine = typeof c.unread_count === "number" ? c.last_seq - c.unread_count : c.agent_read_seq;
    return this.merge(c, mine, 0);
  }

  /** Applies a `conversation` frame (agent_read_seq is the agent side there). */
  applyFrame(c: ConversationData): Change {
    return this.merge(c, 0, c.agent_read_seq);
  }

  private merge(c: ConversationData, myRead: number, agentSide: number): Change {
    const prev = this.rows.get(c.id);
    const base: Row = prev
      ? { ...prev }
      : {
          ...c,
          assignee_id: c.assignee_id ?? null,
          last_seq: 0,
          myRead: 0,
          agentSideRead: 0,
          preview: "",
          last_sender_kind: "",
          last_sender_id: "",
          activityAt: 0,
        };
    const next = base;
    if (!prev || time(c.updated_at) >= time(prev.updated_at)) {
      next.status = c.status;
      next.assignee_id = c.assignee_id ?? null;
      next.closed_at = c.closed_at ?? null;
      next.updated_at = c.updated_at;
    }
    if (c.last_seq > next.last_seq || (c.last_seq === next.last_seq && !next.preview && c.preview)) {
      next.preview = c.preview ?? next.preview;
      next.last_sender_kind = c.last_sender_kind ?? next.last_sender_kind;
      next.last_sender_id = c.last_sender_id ?? (c.last_seq > next.last_seq ? "" : next.last_sender_id);
    }
    next.last_seq = Math.max(next.last_seq, c.last_seq);
    next.visitor_read_seq = Math.max(prev?.visitor_read_seq ?? 0, c.visitor_read_seq);
    next.agentSideRead = Math.max(next.agentSideRead, agentSide);
    next.agent_read_seq = next.agentSideRead;
    next.myRead = Math.max(next.myRead, myRead);
    next.activityAt = Math.max(next.activityAt, time(c.updated_at));
    next.visitor_id = c.visitor_id || next.visitor_id;
    next.widget_id = c.widget_id ?? next.widget_id;
    next.created_at = c.created_at || next.created_at;
    return this.commit(prev, next);
  }

  /** Applies a message the console saw; unknown conversations are ignored (undefined). */
  applyMessage(m: SeenMessage): Change | undefined {
    const prev = this.rows.get(m.conversation_id);
    if (!prev) return undefined;
    const next: Row = { ...prev };
    // The same message as the newest known fills in what a frame lacked (its sender).
    if (m.seq > next.last_seq || (m.seq === next.last_seq && (!next.preview || !next.last_sender_id))) {
      next.preview = previewOf(m.text);
      next.last_sender_kind = m.sender_kind;
      next.last_sender_id = m.sender_id ?? "";
    }
    // My own message does not make a conversation I had read up to it unread.
    if (this.isMe(m.sender_kind, m.sender_id) && next.myRead >= m.seq - 1) next.myRead = Math.max(next.myRead, m.seq);
    next.last_seq = Math.max(next.last_seq, m.seq);
    next.activityAt = Math.max(next.activityAt, time(m.created_at));
    return this.commit(prev, next);
  }

  /** Applies a `receipt`: one of my tabs (agent_id is me) raises my mark. */
  applyReceipt(r: ReceiptData): Change | undefined {
    const prev = this.rows.get(r.conversation_id);
    if (!prev) return undefined;
    const next: Row = { ...prev };
    if (r.side === "agent") {
      next.agentSideRead = Math.max(next.agentSideRead, r.seq);
      next.agent_read_seq = next.agentSideRead;
      if (this.me && r.agent_id === this.me) next.myRead = Math.max(next.myRead, r.seq);
    } else if (r.side === "visitor") {
      next.visitor_read_seq = Math.max(next.visitor_read_seq, r.seq);
    }
    return this.commit(prev, next);
  }

  /** Raises my own mark (I read up to seq in this console). */
  markRead(id: string, seq: number): Change | undefined {
    const prev = this.rows.get(id);
    if (!prev || seq <= prev.myRead) return undefined;
    return this.commit(prev, { ...prev, myRead: seq });
  }

  private commit(prev: Row | undefined, next: Row): Change {
    this.rows.set(next.id, next);
    return {
      prev,
      next,
      newMessage: next.last_seq > (prev?.last_seq ?? 0),
      stateChanged: !!prev && (prev.status !== next.status || prev.assignee_id !== next.assignee_id),
    };
  }

  private isMe(kind: string, id: string | undefined): boolean {
    return kind === "agent" && !!this.me && id === this.me;
  }

  /** Messages I have not read in a conversation. */
  unread(r: Row): number {
    return Math.max(0, r.last_seq - r.myRead);
  }

  /** Whether a conversation belongs to a queue. */
  inQueue(r: Row, q: Queue): boolean {
    if (q === "all") return true;
    if (q === "closed") return r.status === "closed";
    if (r.status !== "open") return false;
    if (q === "unassigned") return !r.assignee_id;
    return !!this.me && r.assignee_id === this.me;
  }

  /** A queue's conversations: open before closed, then newest activity first. */
  list(q: Queue): Row[] {
    return [...this.rows.values()]
      .filter((r) => this.inQueue(r, q))
      .sort((a, b) => {
        if (a.status !== b.status) return a.status === "open" ? -1 : 1;
        return b.activityAt - a.activityAt || (a.id < b.id ? -1 : 1);
      });
  }

  /** How many conversations each queue lists. */
  counts(): Record<Queue, number> {
    const n = { mine: 0, unassigned: 0, all: 0, closed: 0 };
    for (const r of this.rows.values()) for (const q of queues) if (this.inQueue(r, q)) n[q]++;
    return n;
  }

  /** The queue to open on: Mine, unless it is empty and Unassigned is not. */
  openingQueue(): Queue {
    const n = this.counts();
    return n.mine === 0 && n.unassigned > 0 ? "unassigned" : "mine";
  }

  /** Whether a conversation is mine to answer: open and assigned to me or unassigned. */
  isMineToAnswer(r: Row): boolean {
    return this.inQueue(r, "mine") || this.inQueue(r, "unassigned");
  }

  /** The tab title's count: conversations mine to answer with unread messages. */
  unreadConversations(): number {
    let n = 0;
    for (const r of this.rows.values()) if (this.isMineToAnswer(r) && this.unread(r) > 0) n++;
    return n;
  }

  /**
   * Whether a change deserves a sound and a notification: a new message, not
   * mine, in a conversation mine to answer, unless that conversation is the
   * one open, visible and focused (focusedId; "" when none is).
   */
  shouldAlert(ch: Change, focusedId: string): boolean {
    const r = ch.next;
    // prev: a conversation first heard of now (beyond the loaded list) is not news.
    if (!ch.prev || !ch.newMessage || r.id === focusedId || !this.isMineToAnswer(r) || this.unread(r) === 0) return false;
    if (r.last_sender_kind === "visitor") return true;
    // An agent's message alerts only when it is known to be someone else's.
    return r.last_sender_kind === "agent" && !!r.last_sender_id && r.last_sender_id !== this.me;
  }

  /**
   * The preview line: "You: …" for my own last message, "<name>: …" for
   * another agent's, "Agent: …" when the agent is not known, the text alone
   * for the visitor's and system messages, "No messages yet" when empty.
   */
  previewLine(r: Row, agentName: (id: string) => string): string {
    if (!r.preview) return r.last_seq > 0 ? "" : "No messages yet";
    if (r.last_sender_kind !== "agent") return r.preview;
    if (!r.last_sender_id) return "Agent: " + r.preview;
    return (r.last_sender_id === this.me ? "You" : agentName(r.last_sender_id)) + ": " + r.preview;
  }
}
