// The Node.js verifier of docs/webhooks.md (copied verbatim by hand), run by
// TestDocumentedVerifiers with the secret, header, body and clock as arguments.
const crypto = require("node:crypto");

// rawBody: the request body as a Buffer, exactly as received
// (e.g. express.raw({ type: "application/json" })).
function verifyHelpr(secret, header, rawBody, toleranceSec = 300) {
  if (typeof header !== "string" || header.length > 512) return false;
  let t = null;
  const sigs = [];
  for (const pair of header.split(",")) {
    const i = pair.indexOf("=");
    const k = pair.slice(0, i), v = pair.slice(i + 1);
    if (k === "t") t = Number(v);
    else if (k === "v1" && /^[0-9a-f]{64}$/.test(v)) sigs.push(Buffer.from(v, "hex"));
  }
  if (!Number.isSafeInteger(t) || sigs.length === 0 || sigs.length > 4) return false;
  if (Math.abs(Date.now() / 1000 - t) > toleranceSec) return false; // replay
  const expected = crypto
    .createHmac("sha256", secret)
    .update(`${t}.`)
    .update(rawBody)
    .digest();
  let ok = false;
  for (const s of sigs) {
    // timingSafeEqual needs equal lengths: guaranteed by the regex above.
    ok = crypto.timingSafeEqual(s, expected) || ok;
  }
  return ok;
}


const [secret, header, body, now] = process.argv.slice(2);
Date.now = () => Number(now) * 1000;
console.log(verifyHelpr(secret, header, Buffer.from(body)) ? "ok" : "refused");
