// Unit tests of the inbox state (src/console/inbox_state.ts): merge rules,
// per-agent read marks, queues, the title count and when to alert.
import { test } from "node:test";
import assert from "node:assert/strict";
import { InboxState, previewOf } from "../../src/console/inbox_state.ts";

const ME = "agt_me";
const BOB = "agt_bob";

function conv(over = {}) {
  return {
    id: "cnv_1", visitor_id: "vis_1", status: "open", assignee_id: ME, last_seq: 0,
    visitor_read_seq: 0, agent_read_seq: 0, created_at: "2026-03-01T12:00:00.000Z",
    updated_at: "2026-03-01T12:00:00.000Z", ...over,
  };
}
const at = (s) => `2026-03-01T12:00:${String(s).padStart(2, "0")}.000Z`;

test("REST gives my own mark; unread is last_seq minus it", () => {
  const s = new InboxState(ME);
  s.applyRest(conv({ last_seq: 5, agent_read_seq: 3 }));
  assert.equal(s.unread(s.rows.get("cnv_1")), 2);
  s.applyRest(conv({ id: "cnv_2", last_seq: 5, agent_read_seq: 0, unread_count: 1 }));
  assert.equal(s.unread(s.rows.get("cnv_2")), 1, "unread_count wins when present");
});

test("a frame's agent_read_seq (the agent side) never moves my mark", () => {
  const s = new InboxState(ME);
  s.applyRest(conv({ last_seq: 2, agent_read_seq: 2 }));
  s.applyFrame(conv({ last_seq: 4, agent_read_seq: 4, updated_at: at(5) }));
  const r = s.rows.get("cnv_1");
  assert.equal(r.myRead, 2);
  assert.equal(r.agentSideRead, 4);
  assert.equal(s.unread(r), 2);
});

test("receipts raise my mark only when they name me", () => {
  const s = new InboxState(ME);
  s.applyRest(conv({ last_seq: 6, agent_read_seq: 1 }));
  s.applyReceipt({ conversation_id: "cnv_1", side: "agent", seq: 6, agent_id: BOB });
  assert.equal(s.unread(s.rows.get("cnv_1")), 5, "a colleague read it, not me");
  s.applyReceipt({ conversation_id: "cnv_1", side: "agent", seq: 6 });
  assert.equal(s.unread(s.rows.get("cnv_1")), 5, "a receipt without agent_id is not mine");
  s.applyReceipt({ conversation_id: "cnv_1", side: "agent", seq: 4, agent_id: ME });
  assert.equal(s.unread(s.rows.get("cnv_1")), 2, "my other tab read up to 4");
  s.applyReceipt({ conversation_id: "cnv_1", side: "agent", seq: 3, agent_id: ME });
  assert.equal(s.rows.get("cnv_1").myRead, 4, "marks never go down");
  s.applyReceipt({ conversation_id: "cnv_1", side: "visitor", seq: 5 });
  assert.equal(s.rows.get("cnv_1").visitor_read_seq, 5);
  assert.equal(s.applyReceipt({ conversation_id: "nope", side: "agent", seq: 1, agent_id: ME }), undefined);
});

test("markRead raises, never lowers, my mark", () => {
  const s = new InboxState(ME);
  s.applyRest(conv({ last_seq: 3 }));
  assert.ok(s.markRead("cnv_1", 3));
  assert.equal(s.markRead("cnv_1", 2), undefined);
  assert.equal(s.rows.get("cnv_1").myRead, 3);
});

test("last_seq is the max; preview comes from the highest last_seq", () => {
  const s = new InboxState(ME);
  s.applyFrame(conv({ last_seq: 4, preview: "four", last_sender_kind: "visitor", updated_at: at(4) }));
  const ch = s.applyFrame(conv({ last_seq: 3, preview: "three", last_sender_kind: "agent", updated_at: at(3) }));
  assert.equal(ch.next.last_seq, 4);
  assert.equal(ch.next.preview, "four");
  assert.equal(ch.next.last_sender_kind, "visitor");
  assert.equal(ch.newMessage, false);
  // An equal last_seq fills a missing preview (a REST snapshot of an old server).
  const t = new InboxState(ME);
  t.applyRest(conv({ last_seq: 2 }));
  t.applyFrame(conv({ last_seq: 2, preview: "two", last_sender_kind: "visitor" }));
  assert.equal(t.rows.get("cnv_1").preview, "two");
});

test("status and assignee come from the latest updated_at; ties go to the newer arrival", () => {
  const s = new InboxState(ME);
  s.applyFrame(conv({ status: "closed", updated_at: at(10), last_seq: 1 }));
  let ch = s.applyFrame(conv({ status: "open", assignee_id: BOB, updated_at: at(9), last_seq: 2, preview: "late" }));
  assert.equal(ch.next.status, "closed", "an older state does not win");
  assert.equal(ch.next.assignee_id, ME);
  assert.equal(ch.next.last_seq, 2, "but its last_seq still counts");
  assert.equal(ch.stateChanged, false);
  ch = s.applyFrame(conv({ status: "open", assignee_id: BOB, updated_at: at(10), last_seq: 2 }));
  assert.equal(ch.next.status, "open", "a tie goes to the newer arrival");
  assert.equal(ch.next.assignee_id, BOB);
  assert.equal(ch.stateChanged, true);
  ch = s.applyFrame(conv({ assignee_id: undefined, updated_at: at(11), last_seq: 2 }));
  assert.equal(ch.next.assignee_id, null, "an absent assignee is unassigned");
});

test("messages update preview, last sender and activity; my own keeps it read", () => {
  const s = new InboxState(ME);
  s.applyRest(conv({ last_seq: 2, agent_read_seq: 2, updated_at: at(1) }));
  let ch = s.applyMessage({ conversation_id: "cnv_1", seq: 3, sender_kind: "agent", sender_id: ME, text: "  on\n it  ", created_at: at(20) });
  assert.equal(ch.next.preview, "on it");
  assert.equal(ch.next.last_sender_id, ME);
  assert.equal(s.unread(ch.next), 0, "my own reply is not unread for me");
  assert.equal(ch.next.activityAt, Date.parse(at(20)));
  ch = s.applyMessage({ conversation_id: "cnv_1", seq: 4, sender_kind: "visitor", sender_id: "vis_1", text: "thanks", created_at: at(21) });
  assert.equal(s.unread(ch.next), 1);
  ch = s.applyMessage({ conversation_id: "cnv_1", seq: 5, sender_kind: "agent", sender_id: ME, text: "np", created_at: at(22) });
  assert.equal(s.unread(ch.next), 2, "my reply does not hide the visitor's unread message");
  assert.equal(s.applyMessage({ conversation_id: "cnv_x", seq: 1, sender_kind: "visitor", text: "x", created_at: at(1) }), undefined);
});

test("the ack of my message after its frame still names me", () => {
  const s = new InboxState(ME);
  s.applyRest(conv({ last_seq: 1, agent_read_seq: 1 }));
  s.applyFrame(conv({ last_seq: 2, preview: "on it", last_sender_kind: "agent", updated_at: at(2) }));
  const ch = s.applyMessage({ conversation_id: "cnv_1", seq: 2, sender_kind: "agent", sender_id: ME, text: "on it", created_at: at(2) });
  assert.equal(s.previewLine(ch.next, () => "?"), "You: on it");
  assert.equal(s.unread(ch.next), 0);
  s.applyFrame(conv({ last_seq: 2, preview: "on it", last_sender_kind: "agent", updated_at: at(2) }));
  assert.equal(s.rows.get("cnv_1").last_sender_id, ME, "a repeated frame does not forget the sender");
});

test("queues, counts, order and the opening queue", () => {
  const s = new InboxState(ME);
  assert.equal(s.openingQueue(), "mine");
  s.applyRest(conv({ id: "a", assignee_id: null, updated_at: at(1) }));
  assert.equal(s.openingQueue(), "unassigned", "Mine is empty, Unassigned is not");
  s.applyRest(conv({ id: "b", assignee_id: ME, updated_at: at(2) }));
  assert.equal(s.openingQueue(), "mine");
  s.applyRest(conv({ id: "c", assignee_id: BOB, updated_at: at(3) }));
  s.applyRest(conv({ id: "d", status: "closed", updated_at: at(9) }));
  assert.deepEqual(s.counts(), { mine: 1, unassigned: 1, all: 4, closed: 1 });
  for (const q of ["mine", "unassigned", "all", "closed"]) assert.equal(s.list(q).length, s.counts()[q], `${q} counts what it lists`);
  assert.deepEqual(s.list("all").map((r) => r.id), ["c", "b", "a", "d"], "open first, newest activity first");
  s.applyMessage({ conversation_id: "a", seq: 1, sender_kind: "visitor", text: "hi", created_at: at(30) });
  assert.deepEqual(s.list("all").map((r) => r.id), ["a", "c", "b", "d"], "a new message moves a row up");
});

test("the title counts unread conversations in Mine and Unassigned only", () => {
  const s = new InboxState(ME);
  s.applyRest(conv({ id: "mine", last_seq: 2 }));
  s.applyRest(conv({ id: "queue", assignee_id: null, last_seq: 1 }));
  s.applyRest(conv({ id: "bobs", assignee_id: BOB, last_seq: 3 }));
  s.applyRest(conv({ id: "closed", status: "closed", last_seq: 3 }));
  s.applyRest(conv({ id: "read", last_seq: 3, agent_read_seq: 3 }));
  assert.equal(s.unreadConversations(), 2);
});

test("alerts: a new message, not mine, mine to answer, not the focused one", () => {
  const s = new InboxState(ME);
  s.applyRest(conv({ id: "a", last_seq: 1, agent_read_seq: 1 }));
  s.applyRest(conv({ id: "b", assignee_id: BOB, last_seq: 1, agent_read_seq: 1 }));
  s.applyRest(conv({ id: "q", assignee_id: null }));
  const frame = (id, seq, kind, extra = {}) =>
    s.applyFrame(conv({ id, last_seq: seq, preview: "p" + seq, last_sender_kind: kind, updated_at: at(seq), assignee_id: s.rows.get(id)?.assignee_id, ...extra }));
  assert.equal(s.shouldAlert(frame("a", 2, "visitor"), ""), true, "visitor message in mine");
  assert.equal(s.shouldAlert(frame("a", 2, "visitor"), ""), false, "the same frame twice alerts once");
  assert.equal(s.shouldAlert(frame("a", 3, "visitor"), "a"), false, "open, visible and focused");
  assert.equal(s.shouldAlert(frame("b", 2, "visitor"), ""), false, "a colleague's conversation");
  assert.equal(s.shouldAlert(frame("q", 1, "visitor"), ""), true, "unassigned");
  assert.equal(s.shouldAlert(frame("a", 4, "agent"), ""), false, "an agent message of unknown sender (likely mine)");
  assert.equal(s.shouldAlert(frame("a", 5, "agent", { last_sender_id: ME }), ""), false, "my own message");
  assert.equal(s.shouldAlert(frame("a", 6, "agent", { last_sender_id: BOB }), ""), true, "a colleague wrote in mine");
  assert.equal(s.shouldAlert(frame("a", 6, "visitor", { status: "closed", updated_at: at(7) }), ""), false, "no new message");
  assert.equal(s.shouldAlert(frame("new", 1, "visitor"), ""), false, "a conversation first heard of now");
  s.markRead("a", 6);
  assert.equal(s.shouldAlert(s.applyMessage({ conversation_id: "q", seq: 2, sender_kind: "visitor", text: "again", created_at: at(40) }), ""), true);
});

test("preview lines name who wrote last", () => {
  const s = new InboxState(ME);
  const name = (id) => (id === BOB ? "Bob" : "?");
  const line = (over) => s.previewLine(s.applyFrame(conv({ last_seq: 1, updated_at: at(1), ...over })).next, name);
  assert.equal(line({ id: "1", last_seq: 0 }), "No messages yet");
  assert.equal(line({ id: "2", preview: "hello", last_sender_kind: "visitor" }), "hello");
  assert.equal(line({ id: "3", preview: "on it", last_sender_kind: "agent", last_sender_id: ME }), "You: on it");
  assert.equal(line({ id: "4", preview: "hi", last_sender_kind: "agent", last_sender_id: BOB }), "Bob: hi");
  assert.equal(line({ id: "5", preview: "hi", last_sender_kind: "agent" }), "Agent: hi");
});

test("previewOf collapses whitespace and cuts at 140 code points", () => {
  assert.equal(previewOf("  a \n\t b  "), "a b");
  const long = "é".repeat(150);
  assert.equal(previewOf(long), "é".repeat(140) + "…");
  assert.equal(Array.from(previewOf("😀".repeat(141))).length, 141);
});
