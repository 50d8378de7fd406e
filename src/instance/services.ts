import { ApiService } from "../api/service.ts";
import { BalancerService } from "../balancer/service.ts";
import { LogStoreService } from "../logs/store-service.ts";
import { PluginService } from "../plugins/service.ts";
import type { InstanceService } from "./instance.ts";

/**
 * The services every `pup run` instance has besides its processes. The REST API, the log store
 * and plugins plug in here, each as an InstanceService, in the order they start.
 */
export function defaultServices(): InstanceService[] {
  return [new LogStoreService(), new BalancerService(), new ApiService(), new PluginService()];
}
