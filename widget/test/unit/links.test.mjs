// Unit tests of the message linkifier (src/frame/links.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { linkParts, safeHref } from "../../src/frame/links.ts";

const links = (s) => linkParts(s).filter((p) => p.href).map((p) => [p.text, p.href]);

test("plain text stays one text part", () => {
  assert.deepEqual(linkParts("hello there"), [{ text: "hello there" }]);
  assert.deepEqual(linkParts(""), [{ text: "" }]);
});

test("http and https URLs become links, the rest stays text", () => {
  assert.deepEqual(linkParts("see https://acme.test/help?q=1#top now"), [
    { text: "see " },
    { text: "https://acme.test/help?q=1#top", href: "https://acme.test/help?q=1#top" },
    { text: " now" },
  ]);
  assert.deepEqual(links("a http://localhost:8080/x b HTTPS://Acme.Test/Y"), [
    ["http://localhost:8080/x", "http://localhost:8080/x"],
    ["HTTPS://Acme.Test/Y", "https://acme.test/Y"],
  ]);
});

test("the parts join back to the text", () => {
  for (const s of ["x https://a.test/b. y (http://c.test/d) z", "https://a.test", "no links", "https://a.test/(x)"]) {
    assert.equal(linkParts(s).map((p) => p.text).join(""), s);
  }
});

test("sentence punctuation and unbalanced brackets end the URL", () => {
  assert.deepEqual(links("Go to https://a.test/page."), [["https://a.test/page", "https://a.test/page"]]);
  assert.deepEqual(links("(see https://a.test/x)"), [["https://a.test/x", "https://a.test/x"]]);
  assert.deepEqual(links("https://en.wikipedia.org/wiki/Foo_(bar)!"), [
    ["https://en.wikipedia.org/wiki/Foo_(bar)", "https://en.wikipedia.org/wiki/Foo_(bar)"],
  ]);
  assert.deepEqual(links("is it https://a.test/?, ok"), [["https://a.test/", "https://a.test/"]]);
  assert.deepEqual(links('<a href="https://a.test/q">'), [["https://a.test/q", "https://a.test/q"]]);
});

test("no other scheme is ever a link", () => {
  for (const s of [
    "javascript:alert(1)", "JavaScript:alert(document.cookie)", "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox", "file:///etc/passwd", "ftp://a.test/x", "mailto:a@b.test", "xhttps://a.test",
    "//a.test/x", "www.acme.test", "https://", "http:///nohost",
  ]) {
    assert.deepEqual(links(s), [], s);
  }
});

test("another scheme wrapping an https URL links only the https part", () => {
  assert.deepEqual(links("javascript:fetch('https://evil.test/x')"), [["https://evil.test/x", "https://evil.test/x"]]);
  assert.deepEqual(links("blob:https://a.test/1"), [["https://a.test/1", "https://a.test/1"]]);
});

test("safeHref accepts only http(s) with a host", () => {
  assert.equal(safeHref("https://a.test"), "https://a.test/");
  assert.equal(safeHref("javascript:alert(1)"), "");
  assert.equal(safeHref("not a url"), "");
});
