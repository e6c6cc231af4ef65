/** An option of the infrastructure is invalid (region, model id, image tag, ...): the caller's mistake. */
export class InfraConfigError extends Error {
  override name = 'InfraConfigError';
}

/**
 * Checks an AWS region name.
 * @example assertRegion('ap-northeast-1');
 */
export function assertRegion(region: string): void {
  if (!/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/.test(region)) {
    throw new InfraConfigError(`region must be an AWS region such as "ap-northeast-1" or "us-east-1"; got "${region}".`);
  }
}
