import { isEmptyHostList, listsAddress, listsAddressExactly, listsHost, parseHostList } from './host-list';

describe('parseHostList', () => {
  const list = parseHostList(' hooks.internal, .corp.example, *.svc.local ,10.0.0.0/8, 192.168.1.7, fd00::/8, [::1], ::ffff:172.16.0.0/108,');

  it('reads host names, domains, addresses and blocks', () => {
    expect(listsHost(list, 'HOOKS.internal')).toBe(true);
    expect(listsHost(list, 'other.internal')).toBe(false);
    expect(listsHost(list, 'corp.example')).toBe(true);
    expect(listsHost(list, 'a.b.corp.example')).toBe(true);
    expect(listsHost(list, 'notcorp.example')).toBe(false);
    expect(listsHost(list, 'x.svc.local')).toBe(true);
    expect(listsAddress(list, '10.200.3.4')).toBe(true);
    expect(listsAddress(list, '::ffff:10.200.3.4')).toBe(true);
    expect(listsAddress(list, '11.0.0.1')).toBe(false);
    expect(listsAddress(list, '192.168.1.7')).toBe(true);
    expect(listsAddress(list, '192.168.1.8')).toBe(false);
    expect(listsAddress(list, 'fd12::1')).toBe(true);
    expect(listsAddress(list, '::1')).toBe(true);
    expect(listsAddress(list, '172.16.4.4')).toBe(true);
  });

  it('tells an address listed by itself from one inside a block', () => {
    expect(listsAddressExactly(list, '192.168.1.7')).toBe(true);
    expect(listsAddressExactly(list, '10.0.0.1')).toBe(false);
  });

  it('names the entry it cannot read', () => {
    expect(() => parseHostList('10.0.0.0/40')).toThrow(/"10.0.0.0\/40" is not a valid CIDR block/);
    expect(() => parseHostList('ok.host, bad host')).toThrow(/"bad host" is not a host name/);
    expect(() => parseHostList('host:8080')).toThrow(/not a host name/);
  });

  it('is empty for an empty text', () => {
    expect(isEmptyHostList(parseHostList(' , '))).toBe(true);
  });
});
