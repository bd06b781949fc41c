/**
 * `portals-ts/cluster`: many runtimes as one platform on NATS JetStream (docs/cluster.md).
 * `joinCluster` links a live system to the cluster: its applications read the streams of
 * applications on other runtimes by path, exactly once across crashes of any of them.
 */
export { joinCluster, type ClusterApplication, type ClusterLink, type ClusterOptions } from "./cluster-link.js";
export type { Retention } from "./nats.js";
