/** The instance's REST API, as the page calls it: relative to the page, with the page's token. */

import { ApiError } from "./api-error.ts";

export { ApiError };

export class Api {
  /** The API's root: the dashboard is served at <root>/dashboard/. */
  readonly root = new URL("../", location.href.replace(/#.*$/, ""));

  constructor(readonly token: string) {}

  async call<T>(method: "GET" | "POST", path: string): Promise<T> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.root), {
        method,
        headers: { Authorization: `Bearer ${this.token}` },
      });
    } catch {
      throw new ApiError(0, "the instance cannot be reached");
    }
    const body = res.headers.get("content-type")?.includes("json")
      ? ((await res.json()) as { data?: T; error?: string })
      : {};
    if (!res.ok) throw new ApiError(res.status, body.error || `${res.status} ${res.statusText}`);
    return body.data as T;
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>("GET", path);
  }

  /** A process action: start, stop, restart, block or unblock of an id (or "all"). */
  act(id: string, action: string): Promise<unknown> {
    return this.call("POST", `processes/${encodeURIComponent(id)}/${action}`);
  }

  streamUrl(): string {
    const url = new URL("wss", this.root);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("access_token", this.token);
    return url.href;
  }
}
