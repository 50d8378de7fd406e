import {
  forgetGroup,
  killGroup,
  killProcesses,
  leftovers,
  spawnGroup,
  trackProcess,
} from "../lib/cleanup.js";
import { descendants, waitFor } from "../lib/procfs.js";

/**
 * What a bare node process can do, as the reference for a node-based manager: the same
 * child_process.spawn calls (detached, stdout/stderr piped) with nothing else around them.
 */

/** ms from launching `node -e` until it has `n` `sleep` children running. */
export async function nodeLaunchFloor(n) {
  const script = `const {spawn}=require("child_process");for(let i=0;i<${n};i++){const c=spawn("/usr/bin/sleep",["100000"],{detached:true,stdio:["ignore","pipe","pipe"]});c.stdout.resume();c.stderr.resume()}setInterval(()=>{},1e9)`;
  const t0 = performance.now();
  const proc = spawnGroup(process.execPath, ["-e", script]);
  const seen = new Set();
  try {
    await waitFor(
      () => {
        const kids = descendants([proc.pid]).filter((p) => p.comm === "sleep");
        for (const k of kids) {
          if (!seen.has(k.pid)) trackProcess(k.pid);
          seen.add(k.pid);
        }
        return kids.length >= n;
      },
      { timeoutMs: 60_000, intervalMs: 5, what: `${n} sleep children of bare node` },
    );
    return performance.now() - t0;
  } finally {
    killGroup(proc.pid);
    forgetGroup(proc.pid);
    killProcesses(leftovers([...seen]));
  }
}

/** Median-able gaps (ms) between successive starts when bare node respawns `cmd` on each exit. */
export function nodeRespawnScript(cmd, count) {
  return `const {spawn}=require("child_process");let n=0;const go=()=>{const c=spawn("/bin/sh",["-c",${JSON.stringify(cmd)}],{detached:true,stdio:["ignore","pipe","pipe"]});c.stdout.resume();c.stderr.resume();c.on("close",()=>{if(++n<${count})go();else process.exit(0)})};go()`;
}
