// The devices table: one row per device, updated in place so a Brew click in flight keeps its
// button and message while health messages and the 1 s "last seen" tick rewrite the other cells.
import type { DeviceStatus } from './api.js';
import { el } from './dom.js';
import { formatAgo, formatCount, parseTime } from './format.js';
import { storageNotice } from './storage-text.js';

/** Brews on a device; rejects with the text to show. */
export type BrewAction = (deviceId: string) => Promise<void>;

/** How long "sent" stays next to the button after a brew was accepted. */
const SENT_MESSAGE_MS = 4000;

interface Row {
  tr: HTMLTableRowElement;
  ownerLine: HTMLElement;
  /** Readings or presses the device could not store: shown under its name, in the warning colour. */
  storageLine: HTMLElement;
  badge: HTMLElement;
  lastSeen: HTMLElement;
  spoolDepth: HTMLElement;
  droppedReadings: HTMLElement;
  outboxDepth: HTMLElement;
  outboxDropped: HTMLElement;
  brewMessage: HTMLElement;
}

export class DevicesTable {
  private readonly rows = new Map<string, Row>();
  private readonly emptyRow: HTMLTableRowElement;
  private rendered = false;

  constructor(
    private readonly tbody: HTMLTableSectionElement,
    /** null where devices cannot be pressed from the page (AWS): no Brew buttons. */
    private readonly brew: BrewAction | null,
  ) {
    this.emptyRow = el('tr', { class: 'empty' }, [
      el('td', { text: 'No devices yet.', attrs: { colspan: '8' } }),
    ]);
  }

  render(devices: readonly DeviceStatus[], serverNowMs: number): void {
    // The first render replaces index.html's "Loading…" row; after that only managed rows are here.
    if (!this.rendered) this.tbody.replaceChildren();
    this.rendered = true;
    const wanted = new Set(devices.map((d) => d.deviceId));
    for (const [deviceId, row] of this.rows) {
      if (!wanted.has(deviceId)) {
        row.tr.remove();
        this.rows.delete(deviceId);
      }
    }
    devices.forEach((device, index) => {
      const row = this.rows.get(device.deviceId) ?? this.createRow(device.deviceId);
      fillRow(row, device, serverNowMs);
      // Keep DOM order equal to `devices` order without touching rows already in place.
      if (this.tbody.children[index] !== row.tr)
        this.tbody.insertBefore(row.tr, this.tbody.children[index] ?? null);
    });
    if (devices.length === 0) this.tbody.replaceChildren(this.emptyRow);
    else this.emptyRow.remove();
  }

  private createRow(deviceId: string): Row {
    const cell = (label: string, className = 'num') =>
      el('td', { class: className, attrs: { 'data-label': label } });
    const ownerLine = el('span', { class: 'muted small' });
    const storageLine = el('span', {
      class: 'warn small',
      attrs: { 'data-testid': `storage-${deviceId}`, role: 'status' },
    });
    const badge = el('span', { class: 'badge' });
    const brewMessage = el('span', { class: 'brew-message small', attrs: { role: 'status' } });
    const brew = this.brew;
    let button: HTMLButtonElement | null = null;
    if (brew !== null) {
      const pressable = el('button', {
        class: 'brew',
        text: 'Brew',
        attrs: {
          type: 'button',
          'data-testid': `brew-${deviceId}`,
          'aria-label': `Brew a coffee on ${deviceId}`,
        },
      });
      pressable.addEventListener(
        'click',
        () => void this.onBrewClick(brew, pressable, brewMessage, deviceId),
      );
      button = pressable;
    }

    const lastSeen = cell('last seen', 'last-seen');
    const spoolDepth = cell('spool');
    const droppedReadings = cell('dropped');
    const outboxDepth = cell('photo outbox');
    const outboxDropped = cell('outbox dropped');
    const tr = el('tr', { attrs: { 'data-device-id': deviceId } }, [
      el('th', { class: 'device', attrs: { scope: 'row' } }, [
        el('span', { class: 'device-id', text: deviceId }),
        ownerLine,
        storageLine,
      ]),
      el('td', { attrs: { 'data-label': 'status' } }, [badge]),
      lastSeen,
      spoolDepth,
      droppedReadings,
      outboxDepth,
      outboxDropped,
      el('td', { class: 'actions' }, [el('div', { class: 'brew-controls' }, [button, brewMessage])]),
    ]);
    const row = {
      tr,
      ownerLine,
      storageLine,
      badge,
      lastSeen,
      spoolDepth,
      droppedReadings,
      outboxDepth,
      outboxDropped,
      brewMessage,
    };
    this.rows.set(deviceId, row);
    return row;
  }

  private async onBrewClick(
    brew: BrewAction,
    button: HTMLButtonElement,
    message: HTMLElement,
    deviceId: string,
  ): Promise<void> {
    button.disabled = true;
    setMessage(message, 'brewing…', 'pending');
    try {
      await brew(deviceId);
      setMessage(message, 'sent ☕', 'ok');
      setTimeout(() => {
        if (message.classList.contains('ok')) setMessage(message, '', null);
      }, SENT_MESSAGE_MS);
    } catch (error) {
      setMessage(message, error instanceof Error ? error.message : String(error), 'error');
    } finally {
      button.disabled = false;
    }
  }
}

function fillRow(row: Row, device: DeviceStatus, serverNowMs: number): void {
  const ownerParts = [device.owner, device.location].filter((p): p is string => p !== null && p !== '');
  setText(row.ownerLine, ownerParts.join(' · '));
  row.ownerLine.hidden = ownerParts.length === 0;
  const storage = storageNotice(device);
  setText(row.storageLine, storage.text);
  row.storageLine.title = storage.title;
  row.storageLine.hidden = storage.text === '';
  setText(row.badge, device.online ? 'online' : 'offline');
  row.badge.classList.toggle('online', device.online);
  row.badge.classList.toggle('offline', !device.online);
  const lastSeenMs = parseTime(device.lastSeenAt);
  setText(row.lastSeen, formatAgo(lastSeenMs, serverNowMs));
  if (device.lastSeenAt !== null) row.lastSeen.title = device.lastSeenAt;
  setText(row.spoolDepth, formatCount(device.spoolDepth));
  setText(row.droppedReadings, formatCount(device.droppedReadings));
  setText(row.outboxDepth, formatCount(device.outboxDepth));
  setText(row.outboxDropped, formatCount(device.outboxDropped));
  // Losing readings or photos is the thing to notice at a glance.
  row.droppedReadings.classList.toggle('warn', (device.droppedReadings ?? 0) > 0);
  row.outboxDropped.classList.toggle('warn', (device.outboxDropped ?? 0) > 0);
}

/** Writes only when the text changed, so an unchanged row costs no layout. */
function setText(element: HTMLElement, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

function setMessage(element: HTMLElement, text: string, kind: 'pending' | 'ok' | 'error' | null): void {
  element.textContent = text;
  for (const k of ['pending', 'ok', 'error']) element.classList.toggle(k, k === kind);
}
