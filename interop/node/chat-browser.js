// Drives the examples/chat page in two tabs of a running headless Chromium
// with playwright-core, connected over the DevTools protocol: the Go test
// (examples/chat/browser_test.go) starts Chromium and the chat server, owns
// both processes and kills them; this script only steers the tabs.
//
// Contract as for the other interop scripts (lib.js): one JSON argument,
// one JSON object on the last stdout line, exit 0; on a failed expectation
// {"error": "...", "trace": [...]} and exit 1. A hard deadline bounds it.
//
// Argument:
//   cdp        ws://127.0.0.1:PORT/devtools/browser/ID
//   url        http://127.0.0.1:PORT of the chat server
//   transport  "" (polling, then the upgrade), "polling" or "websocket"
//   want       the transport both tabs must end on
//   room       the room both tabs join
//   stepMs     timeout of one step (default 10000)
//   timeoutMs  deadline of the whole script (default 30000)
//   shots      optional directory for screenshots of both tabs
"use strict";

const path = require("path");
const { chromium } = require("playwright-core");

const a = JSON.parse(process.argv[2] || "{}");
const stepMs = a.stepMs || 10000;
const timeoutMs = a.timeoutMs || 30000;
const started = Date.now();
const trace = [];
let step = "start";

function note(msg) {
  trace.push(`${Date.now() - started}ms ${msg}`);
}

function finish(result) {
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exit(0);
}

function fail(msg) {
  process.stdout.write(JSON.stringify({ error: msg, trace }) + "\n");
  process.exit(1);
}

setTimeout(() => fail(`deadline of ${timeoutMs} ms exceeded during: ${step}`), timeoutMs);

function at(s) {
  step = s;
  note(s);
}

// problems collects what a tab reports that a working page never does.
const problems = [];

async function openTab(ctx, who) {
  const page = await ctx.newPage();
  page.setDefaultTimeout(stepMs);
  page.on("pageerror", (e) => problems.push(`${who}: uncaught ${e.message}`));
  page.on("console", (m) => {
    note(`${who} console.${m.type()}: ${m.text()}`);
    if (m.type() === "error") problems.push(`${who}: console.error ${m.text()}`);
  });
  page.on("response", (r) => {
    if (r.status() >= 400) note(`${who} HTTP ${r.status()} ${r.request().method()} ${r.url()}`);
  });
  await page.goto(a.url + "/" + (a.transport ? `?transport=${a.transport}` : ""));
  return page;
}

async function join(page, name) {
  await page.locator("#join-button:enabled").waitFor(); // connected
  await page.fill("#name", name);
  await page.fill("#room", a.room);
  await page.click("#join-button");
  await page.locator("#chat").waitFor({ state: "visible" });
  const room = await page.textContent("#room-name");
  if (room !== a.room) throw new Error(`${name} is in #${room}, want #${a.room}`);
}

// waitText waits until the element's whole text is want.
async function waitText(page, selector, want) {
  try {
    await page.waitForFunction(
      ([sel, w]) => document.querySelector(sel)?.textContent === w,
      [selector, want],
      { timeout: stepMs },
    );
  } catch (e) {
    const got = await page.textContent(selector).catch(() => "?");
    throw new Error(`${selector} is ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  }
}

// message finds the chat line from `from` saying `text`.
function message(page, from, text) {
  return page.locator("#messages li.message").filter({ has: page.locator(".from", { hasText: from }) }).filter({ hasText: text });
}

function notice(page, text) {
  return page.locator("#messages li.notice", { hasText: text });
}

async function count(locator, want, what) {
  const n = await locator.count();
  if (n !== want) throw new Error(`${what}: ${n}, want ${want}`);
}

async function main() {
  at("connect over CDP");
  const browser = await chromium.connectOverCDP(a.cdp, { timeout: stepMs });
  const ctx = await browser.newContext();

  at("tab A joins as alice");
  const A = await openTab(ctx, "A");
  await join(A, "alice");
  at("tab B joins as bob");
  const B = await openTab(ctx, "B");
  await join(B, "bob");

  at("A sees bob join");
  await notice(A, "bob joined").waitFor();
  await waitText(A, "#online", "2 online");
  await waitText(B, "#online", "2 online");

  at(`both tabs on ${a.want}`);
  await waitText(A, "#status", a.want);
  await waitText(B, "#status", a.want);

  at("A sends a message; B and A see it");
  await A.fill("#text", "hello from alice");
  await A.press("#text", "Enter");
  await message(B, "alice", "hello from alice").waitFor();
  await message(A, "alice", "hello from alice").waitFor();
  await count(A.locator("#messages li.message.mine"), 1, "A's own lines marked as hers");
  await count(B.locator("#messages li.message.mine"), 0, "lines marked as B's own");

  at("B types; A sees it");
  await B.locator("#text").pressSequentially("hi alice", { delay: 20 });
  await waitText(A, "#typing", "bob is typing…");
  await waitText(B, "#typing", ""); // not to the sender

  at("B sends; A sees the message and the typing line clears");
  await B.press("#text", "Enter");
  await message(A, "bob", "hi alice").waitFor();
  await message(B, "bob", "hi alice").waitFor();
  await waitText(A, "#typing", "");
  await count(A.locator("#messages li.message"), 2, "lines in A");
  await count(B.locator("#messages li.message"), 2, "lines in B");

  if (a.shots) {
    await A.screenshot({ path: path.join(a.shots, "A.png") });
    await B.screenshot({ path: path.join(a.shots, "B.png") });
  }
  const transports = {
    A: await A.textContent("#status"),
    B: await B.textContent("#status"),
  };

  at("a third tab cannot take alice's name");
  const C = await openTab(ctx, "C");
  await C.locator("#join-button:enabled").waitFor();
  await C.fill("#name", "Alice");
  await C.fill("#room", a.room);
  await C.click("#join-button");
  await waitText(C, "#join-error", `“Alice” is already taken in #${a.room}`);
  await C.close();

  at("B's tab closes; A sees bob leave");
  await B.close();
  await notice(A, "bob left").waitFor();
  await waitText(A, "#online", "1 online");
  await count(A.locator("#messages li.notice"), 3, "notices in A (joined, bob joined, bob left)");

  if (problems.length) throw new Error(`the page reported problems:\n  ${problems.join("\n  ")}`);
  at("close the context");
  await ctx.close();
  finish({ ok: true, transports, ms: Date.now() - started });
}

main().catch((e) => fail(`${step}: ${(e && e.message) || e}`));
