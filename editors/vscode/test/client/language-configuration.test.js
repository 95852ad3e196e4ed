// The language configuration as VS Code reads it: its patterns compile and
// mean what the README says (words, indentation, comment continuation).
"use strict";
const assert = require("node:assert/strict");
const { test } = require("node:test");
const config = require("../../language-configuration.json");
const pkg = require("../../package.json");

test("a double-click selects a backticked name, a date or a number as one word", () => {
  const words = "segment `total spend` = orders_30d + 2.5e3 and signup_date < @2025-01-31T10:00 or клиент"
    .match(new RegExp(config.wordPattern, "g"));
  assert.deepEqual(words, ["segment", "`total spend`", "orders_30d", "2.5e3", "and", "signup_date",
    "@2025-01-31T10:00", "or", "клиент"]);
});

test("blocks indent after { and dedent at }, a definition ending in = indents its next line", () => {
  const rules = config.indentationRules;
  const increase = new RegExp(rules.increaseIndentPattern);
  const next = new RegExp(rules.indentNextLinePattern);
  assert.ok(increase.test('segmentation lifecycle "Customer type" {'));
  assert.ok(increase.test("test t {  # a comment"));
  assert.ok(!increase.test("segment vip = revenue > 1  # {"));
  assert.ok(new RegExp(rules.decreaseIndentPattern).test("  }"));
  assert.ok(next.test("segment cart_abandoners ="));
  assert.ok(!next.test("segment vip = revenue >= 1"));
});

test("comments, brackets and auto-closing pairs, backticks included", () => {
  assert.equal(config.comments.lineComment, "#");
  assert.deepEqual(config.brackets, [["{", "}"], ["[", "]"], ["(", ")"]]);
  const opens = config.autoClosingPairs.map((p) => p.open);
  assert.deepEqual(opens.sort(), ["\"", "'", "(", "[", "`", "{"].sort());
  assert.ok(new RegExp(config.folding.markers.start).test("# region sources"));
  assert.ok(new RegExp(config.folding.markers.end).test("  # endregion"));
});

test("package.json ties .seg files to the grammar and the configuration", () => {
  const [language] = pkg.contributes.languages;
  assert.deepEqual(language.extensions, [".seg"]);
  assert.equal(language.configuration, "./language-configuration.json");
  const [grammar] = pkg.contributes.grammars;
  assert.equal(grammar.language, language.id);
  assert.equal(require(`../../${grammar.path}`).scopeName, grammar.scopeName);
  const commands = pkg.contributes.commands.map((c) => c.command).sort();
  assert.deepEqual(commands, ["segdsl.restartServer", "segdsl.showOutput"]);
  const settings = pkg.contributes.configuration.properties;
  assert.equal(settings["segdsl.server.path"].default, "segdsl");
  assert.deepEqual(settings["segdsl.server.args"].default, ["lsp"]);
});
