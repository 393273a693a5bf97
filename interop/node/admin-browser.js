// Drives the official Socket.IO Admin UI (the static build of the npm
// package @socket.io/admin-ui, served by examples/admin) in a running
// headless Chromium with playwright-core, over the DevTools protocol. The
// Go test (examples/admin/browser_test.go) starts Chromium, the server and
// the application's sockets, owns every process and kills them; this
// script only steers the page and asserts on what it shows.
//
// Contract as for the other interop scripts (lib.js): one JSON argument,
// one JSON object on the last stdout line, exit 0; on a failed expectation
// {"error": "...", "trace": [...]} and exit 1. A hard deadline bounds it.
//
// Argument:
//   cdp        ws://127.0.0.1:PORT/devtools/browser/ID
//   url        http://127.0.0.1:PORT: the UI and the Socket.IO server
//   username, password   the UI login
//   serverId   the id the server reports (Servers page)
//   sockets    ids of the application's sockets in the main namespace
//   room       a room they joined (Rooms page)
//   victim     the socket to disconnect from the UI (Sockets page)
//   stepMs     timeout of one step (default 10000)
//   timeoutMs  deadline of the whole script (default 60000)
//   shots      optional directory for screenshots (never in the repository)
"use strict";

const path = require("path");
const { chromium } = require("playwright-core");

const a = JSON.parse(process.argv[2] || "{}");
const stepMs = a.stepMs || 10000;
const timeoutMs = a.timeoutMs || 60000;
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

const problems = [];

// go changes the UI's page (its router works on the URL's hash: no reload).
async function go(page, route) {
  await page.evaluate((r) => {
    window.location.hash = r;
  }, route);
}

// row is the data-table row showing text.
function row(page, text) {
  return page.locator("tbody tr", { hasText: text });
}

async function shot(page, name) {
  if (a.shots) await page.screenshot({ path: path.join(a.shots, name + ".png"), fullPage: true });
}

async function main() {
  at("connect over CDP");
  const browser = await chromium.connectOverCDP(a.cdp, { timeout: stepMs });
  const ctx = await browser.newContext({ locale: "en-US", viewport: { width: 1400, height: 900 } });
  // The UI's page links fonts and icons from public CDNs: answer them empty
  // so that the test needs no network beyond the loopback server.
  await ctx.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (r) => r.fulfill({ status: 200, body: "" }));

  const page = await ctx.newPage();
  page.setDefaultTimeout(stepMs);
  page.on("pageerror", (e) => problems.push(`uncaught ${e.message}`));
  page.on("console", (m) => note(`console.${m.type()}: ${m.text()}`));
  page.on("response", (r) => {
    if (r.status() >= 400) note(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`);
  });

  at("open the UI: the login form");
  await page.goto(a.url + "/");
  const serverUrl = page.getByLabel("Server URL");
  await serverUrl.waitFor();

  at("a wrong password is refused");
  await serverUrl.fill(a.url);
  await page.getByLabel("Username").fill(a.username);
  await page.getByLabel("Password").fill(a.password + "-wrong");
  await page.getByRole("button", { name: "Connect" }).click();
  await page.getByText("Invalid credentials").waitFor();

  at("log in");
  await page.getByLabel("Password").fill(a.password);
  await page.getByRole("button", { name: "Connect" }).click();
  await serverUrl.waitFor({ state: "hidden" });
  const session = await page.evaluate(() => localStorage.getItem("session_id"));
  if (!/^[0-9a-f]{16}$/.test(session || "")) throw new Error(`the UI kept session id ${JSON.stringify(session)}`);

  at("the Servers page shows the server");
  await go(page, "#/servers/");
  await row(page, a.serverId).waitFor();
  await shot(page, "servers");

  at("the Sockets page shows every application socket");
  await go(page, "#/sockets/");
  for (const id of a.sockets) await row(page, id).waitFor();
  await shot(page, "sockets");

  at("the Rooms page shows the room");
  await go(page, "#/rooms/");
  const room = row(page, a.room);
  await room.waitFor();
  const cells = await room.locator("td").allTextContents();
  if (!cells.some((c) => c.trim() === String(a.sockets.length)))
    throw new Error(`room ${a.room}: cells ${JSON.stringify(cells)}, want ${a.sockets.length} sockets`);
  await shot(page, "rooms");

  at("disconnect the victim from the Sockets page");
  await go(page, "#/sockets/");
  const victim = row(page, a.victim);
  await victim.waitFor();
  await victim.locator("button").click();
  // The click also opens the socket's page (the row's own click): back to
  // the list, where the socket must be gone.
  await go(page, "#/sockets/");
  await row(page, a.victim).waitFor({ state: "detached" });
  for (const id of a.sockets) if (id !== a.victim) await row(page, id).waitFor();
  await shot(page, "after-disconnect");

  if (problems.length) throw new Error(`the page reported problems:\n  ${problems.join("\n  ")}`);
  at("close the context");
  await ctx.close();
  finish({ ok: true, ms: Date.now() - started });
}

main().catch((e) => fail(`${step}: ${(e && e.message) || e}`));
