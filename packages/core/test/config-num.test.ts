import { describe, expect, it } from 'vitest';
import { intList, loadConfig, num } from '../src/index.js';

describe('num', () => {
  const schema = { threshold: num('PSI_ALERT', 'alert threshold', 0.25, 0, 10) };

  it('reads decimals, integers and the default', () => {
    expect(loadConfig(schema, {}).threshold).toBe(0.25);
    expect(loadConfig(schema, { PSI_ALERT: '0.4' }).threshold).toBe(0.4);
    expect(loadConfig(schema, { PSI_ALERT: ' 2 ' }).threshold).toBe(2);
    expect(loadConfig(schema, { PSI_ALERT: '.5' }).threshold).toBe(0.5);
  });

  it('refuses what is not a number in range, naming the variable', () => {
    for (const bad of ['abc', '1e3', '11', '-0.1', '0.1.2']) {
      expect(() => loadConfig(schema, { PSI_ALERT: bad })).toThrow(/PSI_ALERT=.*expected a number from 0 to 10/);
    }
  });
});

describe('intList', () => {
  const schema = { windows: intList('WINDOWS_SEC', 'windows', [60, 900], 1, 86_400) };

  it('reads integers and the default', () => {
    expect(loadConfig(schema, {}).windows).toEqual([60, 900]);
    expect(loadConfig(schema, { WINDOWS_SEC: '30, 300 ,3600' }).windows).toEqual([30, 300, 3600]);
  });

  it('refuses a list with a bad item, naming the variable', () => {
    for (const bad of ['60,', 'a,60', '0', '60,90000', '1.5'])
      expect(() => loadConfig(schema, { WINDOWS_SEC: bad })).toThrow(/WINDOWS_SEC=/);
  });
});
