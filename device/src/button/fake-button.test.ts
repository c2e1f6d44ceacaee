import { describe, expect, it } from 'vitest';
import { ButtonUnavailableError } from './button-port.js';
import { FakeButton } from './fake-button.js';

describe('FakeButton', () => {
  it('fails to start like a Pi without the driver when told to', async () => {
    const button = new FakeButton({ failStart: new ButtonUnavailableError('no onoff') });
    await expect(button.start()).rejects.toThrow('no onoff');
    expect(button.press()).toBe(false);
  });

  it('reports the joystick source when built as a joystick', async () => {
    const button = new FakeButton({ source: 'joystick', clock: { now: () => 42 } });
    const sources: string[] = [];
    button.onPress((press) => sources.push(`${press.source}@${press.atMs}`));
    await button.start();
    expect(button.press()).toBe(true);
    expect(sources).toEqual(['joystick@42']);
    expect(button.presses).toBe(1);
  });
});
