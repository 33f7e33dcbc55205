import test from "node:test";
import assert from "node:assert/strict";
import { redact, findSecrets, MASK } from "../src/redact.js";
import { secretsCorpus } from "./helpers.mjs";

const corpus = secretsCorpus();

test("the shared corpus and the JS redactor agree on the mask", () => {
  assert.equal(corpus.mask, MASK);
  assert.ok(corpus.secrets.length >= 20);
});

for (const c of corpus.secrets) {
  test(`secret masked: ${c.name}`, () => {
    const out = redact(c.text);
    for (const s of c.must_not_contain) assert.ok(!out.includes(s), `${s} survived in ${out}`);
    assert.ok(out.includes(MASK), out);
    assert.ok(findSecrets(c.text).length > 0);
  });
}

for (const text of corpus.ordinary) {
  test(`ordinary text untouched: ${text.slice(0, 40)}`, () => {
    assert.equal(redact(text), text);
    assert.deepEqual(findSecrets(text), []);
  });
}

test("redaction is idempotent and keeps surrounding text", () => {
  const text = "before DB_PASSWORD=correcthorse42 after";
  const once = redact(text);
  assert.equal(once, `before DB_PASSWORD=${MASK} after`);
  assert.equal(redact(once), once);
});

test("quoted values keep their quotes", () => {
  assert.equal(redact('password: "correct horse battery"'), `password: "${MASK}"`);
});

test("non-strings pass through", () => {
  assert.equal(redact(""), "");
  assert.equal(redact(undefined), undefined);
});
