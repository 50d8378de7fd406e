import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import { PupProcess, runPup } from "../helpers/pup-process.ts";
import { tempDir, writeJson } from "../helpers/tmp.ts";
import { waitFor } from "../helpers/wait.ts";

/** Debian's Chromium (`.ci/run` installs the `chromium` package). */
const CHROMIUM = "/usr/bin/chromium";
const skip = existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM} (apt-get install chromium)`;

describe("the web dashboard in a real browser", { skip }, () => {
  const { dir, cleanup } = tempDir();
  const file = path.join(dir, "pup.json");
  let instance: PupProcess;
  let browser: Browser;
  let page: Page;
  let url: string;

  before(async () => {
    writeJson(file, {
      name: "dashboard-test",
      processes: [
        { id: "talker", cmd: "sh -c 'echo hello from talker; exec sleep 1000'", autostart: true },
        { id: "idle", cmd: "sleep 1000" },
      ],
    });
    instance = new PupProcess(["run", "--config", file]);
    await waitFor(() => existsSync(path.join(dir, ".pup", "pup.json-tmp", ".main.port")), "the port file");
    await instance.waitForOutput("hello from talker");
    const printed = await runPup(["dashboard", "--config", file]);
    assert.equal(printed.code, 0, printed.stderr);
    url = printed.stdout.trim();
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/dashboard\/#token=/);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"],
    });
    page = await browser.newPage();
  });

  after(async () => {
    await browser?.close();
    await instance?.kill();
    cleanup();
  });

  const row = (id: string) => page.locator(`#processes tbody tr[data-id="${id}"]`);

  test("with the printed address it lists the processes, their state and the live log", async () => {
    await page.goto(url);
    await page.locator("#connection", { hasText: "live" }).waitFor();
    assert.equal(new URL(page.url()).hash, "", "the token is taken out of the address bar");
    assert.equal(await row("talker").locator(".status").textContent(), "RUNNING");
    assert.equal(await row("idle").locator(".status").textContent(), "CREATED");
    await page.locator("#logs", { hasText: "hello from talker" }).waitFor();
    assert.match((await page.locator("#instance").textContent()) ?? "", /pid\s*\d+/);
  });

  test("a button starts a process, and the table follows the instance's events", async () => {
    await row("idle").locator('button[data-action="start"]').click();
    await row("idle").locator(".status", { hasText: "RUNNING" }).waitFor();
    // Stopped from outside the page: the change arrives over the event stream.
    const stopped = await runPup(["stop", "idle", "--config", file]);
    assert.equal(stopped.code, 0, stopped.stderr);
    await row("idle").locator(".status", { hasText: "FINISHED" }).waitFor();
    assert.equal(await page.locator("#action-error").textContent(), "");
  });

  test("a refused token shows the login form with the reason", async () => {
    const fresh = await browser.newPage();
    try {
      const base = url.replace(/#.*$/, "");
      await fresh.goto(`${base}#token=not-a-token`);
      await fresh.locator("#login").waitFor();
      assert.match((await fresh.locator("#login-error").textContent()) ?? "", /refused/);
      assert.ok(await fresh.locator("#app").isHidden());
    } finally {
      await fresh.close();
    }
  });
});
