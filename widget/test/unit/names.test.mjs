// Unit tests of agent naming (src/frame/names.ts) against a fake fetch: the
// agents endpoint when the hub has it, else the assignee when it is that
// agent, else "Support".
import { test } from "node:test";
import assert from "node:assert/strict";
import { FALLBACK_NAME, agentName } from "../../src/frame/names.ts";

// serve answers fetch from routes (path → [status, body]); it records the paths asked.
function serve(routes) {
  const asked = [];
  globalThis.fetch = async (url) => {
    const path = String(url);
    asked.push(path);
    const [status, body] = routes[path] || [404, { error: { code: "not_found", message: "not found" } }];
    return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
  };
  return asked;
}

test("the agents endpoint names any agent, once", async () => {
  const asked = serve({ "/rest/v1/conversations/c1/agents/a1": [200, { id: "a1", name: "Ada" }] });
  assert.equal(await agentName("c1", "a1"), "Ada");
  assert.equal(await agentName("c1", "a1"), "Ada");
  assert.deepEqual(asked, ["/rest/v1/conversations/c1/agents/a1"]);
});

test("without the endpoint, the assignee names itself; others are Support, asked again later", async () => {
  const asked = serve({
    "/rest/v1/conversations/c2/agents/b1": [405, { error: { code: "method_not_allowed", message: "" } }],
    "/rest/v1/conversations/c2/assignee": [200, { id: "b1", name: "Bob" }],
  });
  assert.equal(await agentName("c2", "b1"), "Bob");
  assert.equal(await agentName("c2", "z9"), FALLBACK_NAME);
  assert.equal(await agentName("c2", "z9"), FALLBACK_NAME);
  assert.equal(asked.filter((p) => p.endsWith("/agents/z9")).length, 2, "a fallback is not kept");
});

test("an erased agent (empty name) and a network failure show Support", async () => {
  serve({ "/rest/v1/conversations/c3/agents/e1": [200, { id: "e1", name: "" }] });
  assert.equal(await agentName("c3", "e1"), FALLBACK_NAME);
  globalThis.fetch = async () => { throw new TypeError("network down"); };
  assert.equal(await agentName("c3", "n1"), FALLBACK_NAME);
});
