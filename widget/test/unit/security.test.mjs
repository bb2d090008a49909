// Unit tests of the console's account-security helpers: the address routes
// (src/console/route.ts) and the WebAuthn JSON conversions
// (src/console/webauthn.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readRoute } from "../../src/console/route.ts";
import { creationOptions, fromBase64url, requestOptions, toBase64url } from "../../src/console/webauthn.ts";

const token = "hml_" + "A".repeat(43);

test("view names route to views; anything else routes nowhere", () => {
  assert.deepEqual(readRoute("#security"), { kind: "view", view: "security" });
  assert.deepEqual(readRoute("#audit"), { kind: "view", view: "audit" });
  assert.deepEqual(readRoute(""), { kind: "none" });
  assert.deepEqual(readRoute("#nope"), { kind: "none" });
});

test("sign-in links and invitations carry a well-formed token only", () => {
  assert.deepEqual(readRoute("#magic=" + token), { kind: "magic", token });
  assert.deepEqual(readRoute("#invite=" + token), { kind: "invite", token });
  assert.deepEqual(readRoute("#magic=short"), { kind: "none" });
  assert.deepEqual(readRoute("#magic=" + token + "<script>"), { kind: "none" });
  assert.deepEqual(readRoute("#invite="), { kind: "none" });
  assert.deepEqual(readRoute("#magic=%E0%A4%A"), { kind: "none" });
});

test("base64url round-trips bytes, padded or not", () => {
  for (const n of [0, 1, 2, 3, 31, 32, 33, 64]) {
    const bytes = new Uint8Array(n).map((_, i) => (i * 37 + 250) & 0xff);
    const s = toBase64url(bytes);
    assert.doesNotMatch(s, /[+/=]/);
    assert.deepEqual(new Uint8Array(fromBase64url(s)), bytes);
    assert.deepEqual(new Uint8Array(fromBase64url(s + "=".repeat((4 - (s.length % 4)) % 4))), bytes);
  }
  assert.equal(toBase64url(new Uint8Array([0xfb, 0xff])), "-_8");
  assert.equal(toBase64url(null), "");
});

test("creation and request options get ArrayBuffers where WebAuthn wants them", () => {
  const c = creationOptions({
    challenge: "AQID", rp: { id: "localhost", name: "helpr" },
    user: { id: "BAUG", name: "ada@acme.test", displayName: "Ada" },
    excludeCredentials: [{ type: "public-key", id: "Bwg" }],
    pubKeyCredParams: [{ type: "public-key", alg: -7 }],
  });
  assert.deepEqual(new Uint8Array(c.challenge), new Uint8Array([1, 2, 3]));
  assert.deepEqual(new Uint8Array(c.user.id), new Uint8Array([4, 5, 6]));
  assert.equal(c.user.name, "ada@acme.test");
  assert.deepEqual(new Uint8Array(c.excludeCredentials[0].id), new Uint8Array([7, 8]));
  assert.equal(c.rp.id, "localhost");
  const r = requestOptions({ challenge: "CQo", rpId: "localhost", allowCredentials: [{ type: "public-key", id: "Cw" }] });
  assert.deepEqual(new Uint8Array(r.challenge), new Uint8Array([9, 10]));
  assert.deepEqual(new Uint8Array(r.allowCredentials[0].id), new Uint8Array([11]));
  assert.equal(requestOptions({ challenge: "CQo" }).allowCredentials, undefined);
});
