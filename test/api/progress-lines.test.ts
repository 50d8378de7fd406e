import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import WebSocket from "ws";
import { waitFor } from "../helpers/wait.ts";
import { ApiInstance, type Json } from "./api-instance.ts";

/** A child's progress bar (a line redrawn with "\r") is live on the event stream; its end is stored. */

// Redraws one line for about 1.5 s, then ends it.
const BAR = `node -e "let i=0; const t=setInterval(()=>{ process.stdout.write('\\\\r'+(++i)*5+'%'); if(i===20){ clearInterval(t); process.stdout.write('\\\\n'); } }, 75)"`;
let api: ApiInstance;
before(async () => {
  api = await ApiInstance.start({ processes: [{ id: "bar", cmd: BAR }] });
});
after(() => api.close());

test("the states of a redrawn line arrive while it is drawn, marked partial; the final one is stored", async () => {
  const messages: Json[] = [];
  const ws = new WebSocket(`ws://127.0.0.1:${api.port}/wss`, {
    headers: { authorization: `Bearer ${await api.token()}` },
  });
  ws.on("message", (m) => messages.push(JSON.parse(String(m))));
  await new Promise((resolve) => ws.once("open", resolve));
  try {
    await api.call("POST", "/processes/bar/start");
    await waitFor(() => api.status("bar").status === 300, "the bar to finish");
    const lines = () =>
      messages.filter((m) => m.t === "log" && m.d.processId === "bar" && m.d.category === "stdout");
    await waitFor(() => lines().some((m) => !m.d.partial), "the final line");
    const partial = lines().filter((m) => m.d.partial);
    assert.ok(partial.length >= 3, `live states: ${partial.map((m) => m.d.text).join(" ")}`);
    assert.deepEqual(
      lines()
        .filter((m) => !m.d.partial)
        .map((m) => m.d.text),
      ["100%"],
    );
    const stored = (await api.call("GET", "/logs?processId=bar")).body.data.filter(
      (e: Json) => e.category === "stdout",
    );
    assert.deepEqual(
      stored.map((e: Json) => e.text),
      ["100%"],
    );
  } finally {
    ws.close();
  }
});
