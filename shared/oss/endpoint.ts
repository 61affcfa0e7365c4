/**
 * OSS's S3-compatible endpoint (docs/platform.md §6), without the SDK: which endpoint, which signing region,
 * and whether it is a loopback one — shared by the listing client, the manifest writer and the config checks.
 */

/**
 * The S3-compatible endpoint of OSS in `region`.
 * @param internal VPC-internal endpoint (reachable only from inside Alibaba Cloud, no public traffic cost).
 */
export function ossS3Endpoint(region: string, internal = true): string {
  return `https://s3.oss-${region}${internal ? '-internal' : ''}.aliyuncs.com`;
}

/** Loopback hosts (the local emulator): reached over plain http, and only path-style (`<bucket>.127.0.0.1` cannot resolve). */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

/** Whether `endpoint` (an origin URL) names a loopback host. */
export function isLoopbackOrigin(endpoint: string): boolean {
  return isLoopbackHost(new URL(endpoint).hostname);
}

/**
 * The region OSS's S3 API signs with: the configured region, else the one in an OSS S3 endpoint's host
 * (`s3.oss-cn-hangzhou-internal.aliyuncs.com` → `cn-hangzhou`), else — only for a loopback endpoint, which
 * accepts any — `cn-hangzhou`. Undefined when none of these applies.
 */
export function ossSigningRegion(config: { readonly region?: string | undefined; readonly ossS3Endpoint?: string | undefined }): string | undefined {
  if (config.region !== undefined) return config.region;
  if (config.ossS3Endpoint === undefined) return undefined;
  const fromHost = /^s3\.oss-([a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com$/.exec(new URL(config.ossS3Endpoint).hostname)?.[1];
  if (fromHost !== undefined) return fromHost;
  return isLoopbackOrigin(config.ossS3Endpoint) ? 'cn-hangzhou' : undefined;
}
