/** OSS's S3-compatible endpoint (docs/platform.md §6), without the SDK: shared by the listing client and the manifest writer. */

/**
 * The S3-compatible endpoint of OSS in `region`.
 * @param internal VPC-internal endpoint (reachable only from inside Alibaba Cloud, no public traffic cost).
 */
export function ossS3Endpoint(region: string, internal = true): string {
  return `https://s3.oss-${region}${internal ? '-internal' : ''}.aliyuncs.com`;
}
