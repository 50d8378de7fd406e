import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { freePorts } from "../helpers/ports.ts";
import { PupProcess, ROOT, runPup } from "../helpers/pup-process.ts";
import { tempDir, writeJson } from "../helpers/tmp.ts";
import { waitFor } from "../helpers/wait.ts";

/** Debian's Chromium (`.ci/run` installs the `chromium` package). */
const CHROMIUM = "/usr/bin/chromium";
const skip = existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM} (apt-get install chromium)`;

/** Screenshots go to docs/ when UPDATE_SCREENSHOTS is set, else beside the test's instance. */
function screenshotPath(dir: string, name: string): string {
  const folder = process.env.UPDATE_SCREENSHOTS ? path.join(ROOT, "docs") : dir;
  mkdirSync(folder, { recursive: true });
  return path.join(folder, name);
}

/**
 * A running instance of a configuration, once its output shows `ready`, and the dashboard's address
 * printed for it.
 */
async function startInstance(
  dir: string,
  config: object,
  ready: string,
): Promise<{ instance: PupProcess; url: string; file: string }> {
  const file = writeJson(path.join(dir, "pup.json"), config);
  const instance = new PupProcess(["run", "--config", file]);
  await waitFor(() => existsSync(path.join(dir, ".pup", "pup.json-tmp", ".main.port")), "the port file");
  await instance.waitForOutput(ready, 20_000);
  const printed = await runPup(["dashboard", "--config", file]);
  assert.equal(printed.code, 0, printed.stderr);
  const url = printed.stdout.trim();
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/dashboard\/#token=/);
  return { instance, url, file };
}

function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** Whether a canvas has drawn pixels of a colour close to `rgb` (a chart's line). */
async function canvasHasColour(
  page: Page,
  selector: string,
  rgb: [number, number, number],
): Promise<boolean> {
  return page.locator(selector).evaluate((canvas, [r, g, b]) => {
    // Runs in the page (the test's own types have no DOM).
    const c = canvas as unknown as {
      width: number;
      height: number;
      getContext(kind: "2d"): {
        getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
      };
    };
    const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < data.length; i += 4) {
      if (
        data[i + 3] > 128 &&
        Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 60
      ) {
        return true;
      }
    }
    return false;
  }, rgb);
}

describe("the web dashboard in a real browser", { skip }, () => {
  const { dir, cleanup } = tempDir();
  let instance: PupProcess;
  let file: string;
  let url: string;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const foreignRequests: string[] = [];

  before(async () => {
    const port = await freePorts(1);
    const server = `node -e "require('http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1')"`;
    ({ instance, url, file } = await startInstance(
      dir,
      {
        name: "dashboard-test",
        processes: [
          { id: "talker", cmd: "sh -c 'echo hello from talker; exec sleep 1000'", autostart: true },
          {
            id: "chatty",
            cmd: "sh -c 'i=1; while [ $i -le 1500 ]; do echo \"chatty line $i\"; i=$((i+1)); done; exec sleep 1000'",
            autostart: true,
          },
          {
            id: "crashy",
            cmd: "sh -c 'echo oops >&2; exit 3'",
            autostart: true,
            restart: "error",
            restartLimit: 0,
          },
          { id: "idle", cmd: "sleep 1000" },
          { id: "echoer", cmd: "sh -c 'echo needle-in-the-log-$PUP_PROCESS_ID; exec sleep 1000'" },
          { id: "nightly", cmd: "true", cron: "0 0 3 * * *" },
          { id: "web", cmd: "sleep 1000", autostart: true, cluster: { instances: 2 } },
          {
            id: "api",
            cmd: server,
            autostart: true,
            healthcheck: {
              http: `http://127.0.0.1:${port}/`,
              intervalMs: 300,
              retries: 2,
              startPeriodMs: 3000,
            },
          },
          // Crashes at once and waits 8 s before each restart: long enough to watch the countdown.
          { id: "flappy", cmd: "sh -c 'echo down; exit 1'", autostart: true, restartDelayMs: 8000 },
        ],
      },
      "chatty line 1500",
    ));
    base = url.replace(/#.*$/, "");
    await instance.waitForOutput("chatty line 1500");
    await instance.waitForOutput("exited with code 3");
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    const origin = new URL(base).origin;
    page.on("request", (request) => {
      if (!request.url().startsWith(origin)) foreignRequests.push(request.url());
    });
  });

  after(async () => {
    await browser?.close();
    await instance?.kill();
    cleanup();
  });

  const row = (id: string, p = page) => p.locator(`.processes tbody tr[data-id="${id}"]`);

  test("with the printed address it lists the processes, their state, the consumer and the live log", async () => {
    await page.goto(url);
    await page.locator("#connection", { hasText: "live" }).waitFor();
    assert.equal(new URL(page.url()).hash, "", "the token is taken out of the address bar");
    await row("talker").locator(".state", { hasText: "RUNNING" }).waitFor();
    assert.equal(await row("idle").locator(".state").textContent(), "CREATED");
    assert.equal(await row("crashy").locator(".state").textContent(), "EXHAUSTED");
    assert.equal(
      await row("crashy")
        .locator(".c-exit")
        .textContent()
        .then((t) => t?.split(",")[0]),
      "code 3",
    );
    assert.match((await row("nightly").locator(".note").textContent()) ?? "", /^next run in \d+h/);
    assert.equal(await page.locator("#consumer").textContent(), "dashboard");
    assert.deepEqual(await page.locator("#scopes .scope").allTextContents(), ["read", "control"]);
    await page.locator("#logs .line", { hasText: "chatty line 1500" }).waitFor();
    assert.match((await page.locator("#instance").textContent()) ?? "", /pid\s*\d+/);
  });

  test("stderr lines are marked, and a cluster collapses to its entry", async () => {
    await page.locator("#logs select[aria-label=process]").selectOption("crashy");
    const oops = page.locator("#logs .line", { hasText: /^\S+\s*crashy:stderr\s*stderr\s*oops$/ });
    await oops.waitFor();
    assert.ok(await oops.evaluate((el) => el.classList.contains("stderr")));
    assert.equal(await oops.locator(".tag").textContent(), "stderr");
    const started = page.locator("#logs .line", { hasText: "crashy:starting" }).first();
    assert.ok(
      await started.evaluate((el) => !el.classList.contains("stderr")),
      "the instance's lines are not",
    );
    await page.locator("#logs select[aria-label=process]").selectOption("");
    await row("web-1").waitFor();
    await row("web").locator("button.toggle").click();
    await row("web-1").waitFor({ state: "hidden" });
    assert.ok(await row("web-2").isHidden());
    await row("web").locator("button.toggle").press("Enter");
    await row("web-2").waitFor();
  });

  test("a process with an http healthcheck shows a healthy badge", async () => {
    await row("api").locator(".health.h-healthy", { hasText: "healthy" }).waitFor();
    assert.equal(await row("talker").locator(".health").textContent(), "–", "no healthcheck, no badge");
  });

  test("a crash-looping process shows the countdown to its next restart", async () => {
    const note = row("flappy").locator(".note");
    await note.filter({ hasText: /^restart in \d+s/ }).waitFor();
    const seconds = async () => Number(/^restart in (\d+)s/.exec((await note.textContent()) ?? "")?.[1]);
    const first = await seconds();
    assert.ok(first >= 1 && first <= 8, `a countdown within the delay, got ${first}`);
    await waitFor(async () => (await seconds()) < first, "the countdown to go down");
  });

  test("a read-only token sees no actions, and who it is", async () => {
    const token = await runPup([
      "token",
      "--consumer",
      "viewer",
      "--expire-in",
      "600",
      "--scope",
      "read",
      "--config",
      file,
    ]);
    assert.equal(token.code, 0, token.stderr);
    const viewerContext = await browser.newContext();
    try {
      const viewer = await viewerContext.newPage();
      await viewer.goto(`${base}#token=${token.stdout.trim()}`);
      await viewer.locator("#connection", { hasText: "live" }).waitFor();
      await row("talker", viewer).waitFor();
      assert.equal(await viewer.locator("button[data-action]").count(), 0);
      assert.equal(await viewer.locator("#consumer").textContent(), "viewer");
      assert.deepEqual(await viewer.locator("#scopes .scope").allTextContents(), ["read"]);
      assert.ok(await viewer.locator("#read-only").isVisible());
      await viewer.goto(`${base}#/process/talker`);
      await viewer.locator(".process-page .fields").waitFor();
      assert.equal(await viewer.locator("button[data-action]").count(), 0);
    } finally {
      await viewerContext.close();
    }
  });

  test("a full token stops a process and its row changes without a reload", async () => {
    await page.evaluate("window.marker = 42");
    await row("talker").locator('button[data-action="stop"]').click();
    await row("talker").locator(".state", { hasText: "FINISHED" }).waitFor();
    await row("talker").locator('button[data-action="start"]').waitFor();
    // Started from outside the page: the change arrives over the event stream.
    const started = await runPup(["start", "talker", "--config", file]);
    assert.equal(started.code, 0, started.stderr);
    await row("talker").locator(".state", { hasText: "RUNNING" }).waitFor();
    assert.equal(await page.evaluate("window.marker"), 42, "the page was not reloaded");
    assert.equal(await page.locator("#action-error").textContent(), "");
  });

  test("a process's row opens its charts, which draw the samples the page collects", async () => {
    await row("talker").locator(".c-uptime").click();
    const memory = page.locator('tr[data-charts-for="talker"] .chart[data-kind="rss"]');
    await waitFor(
      async () => Number(await memory.getAttribute("data-points")) >= 3,
      "three memory samples",
      15_000,
    );
    const colour = String(
      await page.evaluate('getComputedStyle(document.documentElement).getPropertyValue("--chart-2")'),
    );
    const rgb = colour
      .trim()
      .match(/[0-9a-f]{2}/gi)!
      .map((x: string) => Number.parseInt(x, 16)) as [number, number, number];
    // A line is drawn once two samples in a row have a value (the process was restarted just before).
    await waitFor(
      () => canvasHasColour(page, 'tr[data-charts-for="talker"] .chart[data-kind="rss"] canvas', rgb),
      "the memory line on the chart's canvas",
      15_000,
    );
    const instanceMemory = page.locator('#instance-charts .chart[data-kind="rss"]');
    assert.ok(
      Number(await instanceMemory.getAttribute("data-points")) >= 3,
      "the instance's chart has points",
    );
  });

  test("a log search finds a line printed after the page opened", async () => {
    const search = page.locator('#logs input[type="search"]');
    await search.fill("needle-in-the-log-echoer");
    const started = await runPup(["start", "echoer", "--config", file]);
    assert.equal(started.code, 0, started.stderr);
    const found = page.locator("#logs .line:visible", { hasText: "needle-in-the-log-echoer" });
    await found.waitFor();
    assert.equal(await page.locator("#logs .line:visible").count(), 1, "only the matching line is shown");
    await search.fill("");
    await page.locator("#logs .line:visible", { hasText: "chatty line" }).first().waitFor();
  });

  test("a paused tail holds new lines until it is resumed", async () => {
    const needles = page.locator("#logs .line", { hasText: "needle-in-the-log-echoer" });
    const before = await needles.count();
    await page.locator("#logs button.pause").click();
    const restarted = await runPup(["restart", "echoer", "--config", file]);
    assert.equal(restarted.code, 0, restarted.stderr);
    await page.locator("#logs .log-info", { hasText: /paused, [1-9]\d* new/ }).waitFor();
    await instance.waitForOutput(/needle-in-the-log-echoer[\s\S]*needle-in-the-log-echoer/);
    assert.equal(await needles.count(), before, "nothing is added while paused");
    await page.locator("#logs button.pause", { hasText: "Resume" }).click();
    await waitFor(async () => (await needles.count()) === before + 1, "the held line after resuming");
  });

  test("older entries load on scroll, by time, without gaps or repeats", async () => {
    await page.locator("#logs select[aria-label=process]").selectOption("chatty");
    const list = page.locator("#logs .log-lines");
    await waitFor(async () => (await list.getAttribute("data-held")) === "200", "the newest 200 lines");
    const numbers = async () =>
      (await list.locator(".line .text").allTextContents())
        .map((t) => /^chatty line (\d+)$/.exec(t)?.[1])
        .filter((n) => n !== undefined)
        .map(Number);
    assert.deepEqual((await numbers()).slice(0, 1), [1301]);
    for (let page_ = 0; page_ < 2; page_++) {
      const held = Number(await list.getAttribute("data-held"));
      await list.evaluate((el) => {
        el.scrollTop = 0;
      });
      await waitFor(async () => Number(await list.getAttribute("data-held")) > held, "an older page");
    }
    const seen = await numbers();
    assert.equal(seen[0], 901);
    assert.deepEqual(
      seen,
      Array.from({ length: 600 }, (_, i) => 901 + i),
    );
    await page.locator("#logs select[aria-label=process]").selectOption("");
  });

  test("a process's page shows its configuration, status, recent events and logs", async () => {
    await page.goto(`${base}#/process/crashy`);
    const view = page.locator(".process-page");
    await view.locator(".config", { hasText: '"restartLimit": 0' }).waitFor();
    assert.equal(await view.locator('dd[data-field="last exit"]').textContent(), "code 3");
    await view.locator(".events li", { hasText: "exited with code 3" }).waitFor();
    await view.locator(".log-lines .line.stderr", { hasText: "oops" }).waitFor();
    await page.screenshot({ path: screenshotPath(dir, "dashboard-process.png"), fullPage: true });
    await view.locator("a.back").click();
    await row("talker").waitFor();
  });

  test("desktop screenshot", async () => {
    await row("talker").locator(".state", { hasText: "RUNNING" }).waitFor();
    await page.locator("#logs .log-lines").evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    const target = screenshotPath(dir, "dashboard-desktop.png");
    await page.screenshot({ path: target, fullPage: true });
    assert.ok(existsSync(target));
  });

  test("a 390×844 screen shows every process as a card, with nothing cut off at the side", async () => {
    const phoneContext = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
    });
    try {
      const phone = await phoneContext.newPage();
      await phone.goto(url);
      await phone.locator("#connection", { hasText: "live" }).waitFor();
      const ids = [
        "talker",
        "chatty",
        "crashy",
        "idle",
        "echoer",
        "nightly",
        "web",
        "web-1",
        "web-2",
        "api",
        "flappy",
      ];
      for (const id of ids) {
        const card = row(id, phone);
        await card.scrollIntoViewIfNeeded();
        assert.ok(await card.isVisible(), `${id} is shown`);
        const box = (await card.boundingBox())!;
        assert.ok(box.x >= 0 && box.x + box.width <= 390, `${id} fits the width`);
      }
      assert.ok(await phone.evaluate("document.documentElement.scrollWidth <= 390"), "no sideways scrolling");
      await phone.evaluate("window.scrollTo(0, 0)");
      const target = screenshotPath(dir, "dashboard-phone.png");
      await phone.screenshot({ path: target });
      assert.ok(existsSync(target));
    } finally {
      await phoneContext.close();
    }
  });

  test("a refused token shows the login form with the reason", async () => {
    const fresh = await browser.newContext();
    try {
      const p = await fresh.newPage();
      await p.goto(`${base}#token=not-a-token`);
      await p.locator("#login").waitFor();
      assert.match((await p.locator("#login-error").textContent()) ?? "", /refused/);
      assert.ok(await p.locator("#app").isHidden());
    } finally {
      await fresh.close();
    }
  });

  test("the page asks nothing of any host but the instance", () => {
    assert.deepEqual(foreignRequests, []);
  });
});
