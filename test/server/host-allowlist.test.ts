// Which Host names the server answers to (DNS rebinding): loopback names always, the listen
// address unless it is every address, names allowed on the command line or in the settings (read
// live), and an IP literal only when it is the address the connection arrived on.
import { describe, expect, it } from 'vitest';
import { HostAllowlist, parseHostHeader } from '../../src/server/host-allowlist.js';

describe('host allowlist', () => {
  it('allows the loopback names in any spelling, and nothing else by default', () => {
    const list = new HostAllowlist('127.0.0.1', [], () => []);
    for (const host of ['localhost', 'LOCALHOST', 'localhost.', '127.0.0.1', '::1', '[::1]']) expect(list.allows(host, '127.0.0.1'), host).toBe(true);
    for (const host of ['attacker.example', 'localhost.attacker.example', '127.0.0.1.nip.io', '192.168.1.5', 'lifeboat.lan']) expect(list.allows(host, '127.0.0.1'), host).toBe(false);
  });

  it('allows the listen address, but not "every address" as a name', () => {
    expect(new HostAllowlist('192.168.1.5', [], () => []).allows('192.168.1.5', '192.168.1.5')).toBe(true);
    expect(new HostAllowlist('lifeboat.lan', [], () => []).allows('Lifeboat.LAN', '192.168.1.5')).toBe(true);
    expect(new HostAllowlist('0.0.0.0', [], () => []).allows('0.0.0.0', '192.168.1.5')).toBe(false);
    expect(new HostAllowlist('::', [], () => []).allows('::', '::1')).toBe(false);
  });

  it('allows an IP literal only when it is the address the connection arrived on (no name to rebind)', () => {
    const list = new HostAllowlist('0.0.0.0', [], () => []);
    expect(list.allows('192.168.1.5', '192.168.1.5')).toBe(true);
    expect(list.allows('192.168.1.5', '::ffff:192.168.1.5')).toBe(true);
    expect(list.allows('192.168.1.6', '192.168.1.5')).toBe(false);
    expect(list.allows('fd00::5', 'fd00::5')).toBe(true);
    // A LAN name of this machine is not trusted by itself, even when listening on every address.
    expect(list.allows('lifeboat.lan', '192.168.1.5')).toBe(false);
  });

  it('allows names from the command line and from the setting, the setting as it is now', () => {
    let configured = ['proxy.example'];
    const list = new HostAllowlist('0.0.0.0', ['lifeboat.lan'], () => configured);
    expect(list.allows('lifeboat.lan', '10.0.0.2')).toBe(true);
    expect(list.allows('proxy.example', '10.0.0.2')).toBe(true);
    expect(list.isNamed('proxy.example')).toBe(true);
    configured = [];
    expect(list.allows('proxy.example', '10.0.0.2')).toBe(false);
  });

  it('parses Host headers with and without port, and refuses what is not one', () => {
    expect(parseHostHeader('Example.COM:8124')).toEqual({ hostname: 'example.com', host: 'example.com:8124' });
    expect(parseHostHeader('[::1]:8124')).toEqual({ hostname: '::1', host: '[::1]:8124' });
    for (const bad of [undefined, '', 'a b', 'user@host', 'host/path', 'host?x', 'host:notaport']) expect(parseHostHeader(bad), String(bad)).toBeNull();
  });
});
