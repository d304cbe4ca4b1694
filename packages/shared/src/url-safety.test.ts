import { parseHostList } from './host-list';
import { isPublicAddress, refusedAddress, refusedTargetUrl } from './url-safety';

describe('isPublicAddress', () => {
  it.each([
    '127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0',
    '224.0.0.1', '::1', '::', 'fe80::1', 'fd00:ec2::254', 'fc00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'not-an-ip',
  ])('%s is not public', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '2a00:1450:4001:81b::200e'])('%s is public', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  // IANA's special-purpose registries, and the deprecated IPv4-compatible block ::/96 in both of
  // its spellings (WHATWG URLs write [::127.0.0.1] as [::7f00:1]).
  it.each([
    ['IPv4-compatible loopback', '::127.0.0.1'],
    ['IPv4-compatible loopback, as URLs write it', '::7f00:1'],
    ['IPv4-compatible private', '::10.0.0.1'],
    ['IPv4-compatible, even of a public address', '::8.8.8.8'],
    ['IPv4-compatible, hex', '::808:808'],
    ['6to4 of loopback', '2002:7f00:1::1'],
    ['Teredo', '2001::1'],
    ['discard-only', '100::1'],
    ['NAT64 local use', '64:ff9b:1::1'],
    ['benchmarking v6', '2001:2::1'],
    ['ORCHID', '2001:10::1'],
    ['ORCHIDv2', '2001:20::1'],
    ['deprecated site-local', 'fec0::1'],
    ['AS112 v6', '2620:4f:8000::1'],
    ['segment routing', '5f00::1'],
    ['documentation v6 (3fff::/20)', '3fff::1'],
    ['6to4 relay anycast', '192.88.99.1'],
    ['limited broadcast', '255.255.255.255'],
    ['AS112 v4', '192.31.196.1'],
    ['AMT', '192.52.193.1'],
    ['AS112 direct delegation', '192.175.48.1'],
  ])('%s (%s) is not public', (_name, address) => {
    expect(isPublicAddress(address)).toBe(false);
    expect(refusedAddress(address, { requireHttps: true, allowPrivate: false })).toMatch(/not public/);
  });
});

describe('refusedTargetUrl', () => {
  const strict = { requireHttps: true, allowPrivate: false };
  it('refuses http in production, and non-public literal and resolved hosts', async () => {
    expect(await refusedTargetUrl('http://8.8.8.8/hook', strict)).toMatch(/https/);
    expect(await refusedTargetUrl('https://127.0.0.1/hook', strict)).toMatch(/not public/);
    expect(await refusedTargetUrl('https://[::1]/hook', strict)).toMatch(/not public/);
    expect(await refusedTargetUrl('https://[::127.0.0.1]/hook', strict)).toMatch(/not public/);
    expect(await refusedTargetUrl('https://[::ffff:7f00:1]/hook', strict)).toMatch(/not public/);
    expect(await refusedTargetUrl('https://169.254.169.254/latest/meta-data', strict)).toMatch(/cloud metadata/);
    expect(await refusedTargetUrl('https://localhost/hook', strict)).toMatch(/localhost resolves to an address that is not public/);
    expect(await refusedTargetUrl('https://8.8.8.8/hook', strict)).toBeNull();
  });

  it('allows everything when private targets are allowed, and http outside production', async () => {
    expect(await refusedTargetUrl('http://127.0.0.1:8080/hook', { requireHttps: false, allowPrivate: true })).toBeNull();
    expect(await refusedTargetUrl('http://8.8.8.8/hook', { requireHttps: false, allowPrivate: false })).toBeNull();
  });
});

describe('cloud metadata services', () => {
  const open = { requireHttps: false, allowPrivate: true };

  it.each(['169.254.169.254', '::ffff:169.254.169.254', 'fd00:ec2::254', '169.254.170.2', '100.100.100.200'])(
    'refuses %s even with private targets allowed',
    (address) => {
      expect(refusedAddress(address, open)).toMatch(/cloud metadata/);
    },
  );

  it('refuses metadata URLs by address and by name even with private targets allowed', async () => {
    expect(await refusedTargetUrl('http://169.254.169.254/latest/meta-data', open)).toMatch(/cloud metadata/);
    expect(await refusedTargetUrl('http://[fd00:ec2::254]/latest', open)).toMatch(/cloud metadata/);
    expect(await refusedTargetUrl('http://metadata.google.internal/computeMetadata/v1/', open)).toMatch(/cloud metadata/);
    expect(await refusedTargetUrl('http://127.0.0.1:9000/hook', open)).toBeNull();
  });

  it('opens a metadata service only when it is named by itself, not by a block around it', async () => {
    const block = { ...open, allowedPrivate: parseHostList('169.254.0.0/16') };
    expect(refusedAddress('169.254.169.254', block)).toMatch(/cloud metadata/);
    expect(refusedAddress('169.254.10.10', { ...block, allowPrivate: false })).toBeNull();
    const named = { ...open, allowedPrivate: parseHostList('169.254.169.254, metadata.google.internal') };
    expect(refusedAddress('169.254.169.254', named)).toBeNull();
    expect(await refusedTargetUrl('http://metadata.google.internal/', named)).toBeNull();
    // A private host listed by name does not open a metadata address it happens to resolve to.
    const host = { ...open, allowedPrivate: parseHostList('hooks.internal') };
    expect(refusedAddress('169.254.169.254', host, 'hooks.internal')).toMatch(/cloud metadata/);
  });
});

describe('HERALD_ALLOWED_PRIVATE_TARGETS', () => {
  const policy = { requireHttps: false, allowPrivate: false, allowedPrivate: parseHostList('10.1.0.0/16, localhost') };

  it('opens the blocks and hosts it lists, and nothing else', async () => {
    expect(refusedAddress('10.1.2.3', policy)).toBeNull();
    expect(refusedAddress('10.2.0.1', policy)).toMatch(/not public/);
    expect(refusedAddress('127.0.0.1', policy, 'localhost')).toBeNull();
    expect(await refusedTargetUrl('http://10.1.2.3/hook', policy)).toBeNull();
    expect(await refusedTargetUrl('http://10.2.2.3/hook', policy)).toMatch(/HERALD_ALLOWED_PRIVATE_TARGETS/);
    expect(await refusedTargetUrl('http://localhost:9000/hook', policy)).toBeNull();
    expect(await refusedTargetUrl('http://127.0.0.1:9000/hook', policy)).toMatch(/not public/);
  });
});

describe('targetPolicyFromEnv', () => {
  it('refuses private targets in production unless allowed, and allows them elsewhere unless refused', async () => {
    const { targetPolicyFromEnv } = await import('./url-safety');
    expect(targetPolicyFromEnv({ NODE_ENV: 'production' })).toMatchObject({ requireHttps: true, allowPrivate: false });
    expect(targetPolicyFromEnv({ NODE_ENV: 'production', HERALD_ALLOW_PRIVATE_TARGETS: true })).toMatchObject({ requireHttps: true, allowPrivate: true });
    expect(targetPolicyFromEnv({ NODE_ENV: 'development' })).toMatchObject({ requireHttps: false, allowPrivate: true });
    expect(targetPolicyFromEnv({ NODE_ENV: 'development', HERALD_ALLOW_PRIVATE_TARGETS: false })).toMatchObject({ requireHttps: false, allowPrivate: false });
  });
});
