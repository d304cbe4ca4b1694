import calculateSlot from 'cluster-key-slot';
import { redisKeys } from '../keys';
import { checkOneSlot } from '../lua/lua-script';
import { PartitionLayout, partitionOf, partitionPrefix } from './partition-layout';

it('keeps every key under the plain prefix with one partition, as before partitions', () => {
  const layout = new PartitionLayout('herald', 1);
  const plain = redisKeys('herald');
  const keys = layout.keys(0);
  for (const name of ['eventsStream', 'webhooks', 'deadLetters', 'bullPrefix', 'partitionLeases'] as const) expect(keys[name]).toBe(plain[name]);
  expect(keys.circuit('wh_a')).toBe(plain.circuit('wh_a'));
  expect(layout.global.webhooks).toBe('herald:webhooks');
  expect(layout.keys(0).partitioned).toBe(false);
  expect(layout.ofWebhook('wh_anything')).toBe(0);
});

it('tags each partition and the global keys apart, so each partition is one slot of its own', () => {
  const layout = new PartitionLayout('herald', 16);
  const keys = layout.keys(7);
  expect(keys.eventsStream).toBe('{herald-p07}:events');
  expect(keys.webhooks).toBe('{herald}:webhooks');
  expect(keys.partitioned).toBe(true);
  const partitionKeys = [keys.eventsStream, keys.circuit('wh_a'), keys.parked('wh_a'), keys.deadLetters, keys.payload('evt_1'), `${keys.bullPrefix}:deliveries:wait`];
  expect(new Set(partitionKeys.map((key) => calculateSlot(key))).size).toBe(1);
  expect(calculateSlot(keys.webhooks)).toBe(calculateSlot(layout.global.partitionLeases));
  expect(new Set(layout.all().map((n) => calculateSlot(layout.keys(n).eventsStream))).size).toBe(16);
  expect(partitionPrefix('herald', 5, 200)).toBe('{herald-p005}');
});

it('places webhooks and events by a stable hash, spread over every partition', () => {
  const layout = new PartitionLayout('herald', 8);
  const counts = new Array<number>(8).fill(0);
  for (let n = 0; n < 8000; n++) counts[layout.ofWebhook(`wh_${n.toString(36)}x`)]! += 1;
  // FNV-1a spreads: each partition within a quarter of the mean.
  for (const count of counts) expect(Math.abs(count - 1000)).toBeLessThan(250);
  expect(layout.ofWebhook('wh_same')).toBe(new PartitionLayout('herald', 8).ofWebhook('wh_same'));
  expect(layout.ofIngest('acme', 'key-1')).toBe(partitionOf('acme\u0000key-1', 8));
});

it('refuses script keys that span slots, and lets untagged keys of one partition be', () => {
  const layout = new PartitionLayout('herald', 4);
  expect(() => checkOneSlot('herald_test', [layout.keys(0).eventsStream, layout.keys(1).eventsStream])).toThrow(
    /herald_test: its keys span hash slots \(\{herald-p00\}:events and \{herald-p01\}:events\)/,
  );
  expect(() => checkOneSlot('herald_test', [layout.keys(2).eventsStream, layout.global.webhooks])).toThrow(/CROSSSLOT/);
  expect(() => checkOneSlot('herald_test', [layout.keys(3).eventsStream, layout.keys(3).circuit('wh_a')])).not.toThrow();
  expect(() => checkOneSlot('herald_test', ['herald:events', 'herald:webhooks'])).not.toThrow();
});
