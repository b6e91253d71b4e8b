// Drives Debian's firefox-esr over WebDriver BiDi (puppeteer-core) for the Python tests
// (teletherapy/test/firefox.py). One JSON object a line on stdin: {id, op, ...}; one answer a
// line on stdout: {id, value} or {id, error}. Page console messages go to stderr.
import { createInterface } from "node:readline";

import puppeteer from "puppeteer-core";

const FIREFOX = process.env.FIREFOX || "/usr/bin/firefox-esr";
const PREFS = {
  // A fake camera and microphone, and no permission prompt for them.
  "media.navigator.streams.fake": true,
  "media.navigator.permission.disabled": true,
  // Without it Firefox gathers no ICE candidates where there is no default route (the
  // tests' private network namespace): it treats the fake devices as granted for ICE too.
  "media.navigator.permission.fake": true,
  // Autoplay of the remote video with sound, as after a click.
  "media.autoplay.default": 0,
  "media.autoplay.blocking_policy": 0,
  // Nothing fetched from the internet.
  "app.update.enabled": false,
  "browser.shell.checkDefaultBrowser": false,
  "network.captive-portal-service.enabled": false,
  "network.connectivity-service.enabled": false,
  "datareporting.policy.dataSubmissionEnabled": false,
  "toolkit.telemetry.reportingpolicy.firstRun": false,
  "extensions.update.enabled": false,
  "browser.safebrowsing.malware.enabled": false,
  "browser.safebrowsing.phishing.enabled": false,
  "media.gmp-manager.url": "",
  "media.gmp-gmpopenh264.autoupdate": false,
  "media.gmp-gmpopenh264.enabled": false,
};

let browser = null;
const pages = new Map();
let nextPage = 1;

function pageOf(msg) {
  const page = pages.get(msg.page);
  if (!page) throw new Error(`no page ${msg.page}`);
  return page;
}

// A function's source and its arguments, evaluated in the page (awaited when it returns a
// promise): evaluate() with a string keeps the protocol free of code in JavaScript objects.
const call = (fn, args = []) => `(${fn})(...${JSON.stringify(args)})`;

const ops = {
  async launch({ prefs = {} }) {
    browser = await puppeteer.launch({
      browser: "firefox",
      executablePath: FIREFOX,
      headless: true,
      protocol: "webDriverBiDi",
      extraPrefsFirefox: { ...PREFS, ...prefs },
      args: ["--no-remote"],
      timeout: 60_000,
    });
    return browser.version();
  },
  async newPage({ width = 1280, height = 800 }) {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    await page.setViewport({ width, height });
    page.setDefaultTimeout(30_000);
    const id = nextPage++;
    page.on("console", (m) => process.stderr.write(`[firefox page ${id}] ${m.type()}: ${m.text()}\n`));
    page.on("pageerror", (e) => process.stderr.write(`[firefox page ${id}] error: ${e.message}\n`));
    pages.set(id, page);
    return id;
  },
  async closePage(msg) {
    const page = pageOf(msg);
    pages.delete(msg.page);
    await page.browserContext().close();
    return null;
  },
  async goto(msg) {
    const response = await pageOf(msg).goto(msg.url, { waitUntil: "load" });
    return response ? response.status() : null;
  },
  async reload(msg) {
    await pageOf(msg).reload({ waitUntil: "load" });
    return null;
  },
  async url(msg) {
    return pageOf(msg).url();
  },
  async fill(msg) {
    const page = pageOf(msg);
    const handle = await page.waitForSelector(msg.selector, { visible: true });
    await handle.evaluate((el) => (el.value = ""));
    await handle.type(msg.value);
    await handle.dispose();
    return null;
  },
  async click(msg) {
    const page = pageOf(msg);
    const handle = await page.waitForSelector(msg.selector, { visible: true });
    // As Playwright does: a control its script has not enabled yet is waited for, not missed.
    await page.waitForFunction((el) => !el.disabled, {}, handle);
    await handle.click();
    await handle.dispose();
    return null;
  },
  async press(msg) {
    await pageOf(msg).keyboard.press(msg.key);
    return null;
  },
  async select(msg) {
    const page = pageOf(msg);
    await page.waitForSelector(msg.selector);
    return page.select(msg.selector, ...msg.values);
  },
  async evaluate(msg) {
    return pageOf(msg).evaluate(call(msg.fn, msg.args));
  },
  async waitFor(msg) {
    const page = pageOf(msg);
    const handle = await page.waitForFunction(call(msg.fn, msg.args), {
      timeout: msg.timeout ?? 30_000,
      polling: 250,
    });
    const value = await handle.jsonValue();
    await handle.dispose();
    return value;
  },
  async screenshot(msg) {
    await pageOf(msg).screenshot({ path: msg.path, fullPage: Boolean(msg.fullPage) });
    return msg.path;
  },
  async close() {
    if (browser) await browser.close();
    browser = null;
    return null;
  },
};

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  const msg = JSON.parse(line);
  let answer;
  try {
    const value = await ops[msg.op](msg);
    answer = { id: msg.id, value: value === undefined ? null : value };
  } catch (err) {
    answer = { id: msg.id, error: String(err && err.stack ? err.stack : err) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
  if (msg.op === "close") break;
}
if (browser) await browser.close().catch(() => {});
