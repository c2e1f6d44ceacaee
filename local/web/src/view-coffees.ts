// The latest coffees, newest first. Items are kept by photo key and rebuilt only when their
// coffee changed, so thumbnails do not reload on every redraw (nor on every poll in AWS mode, where
// each snapshot brings equal but new objects).
import type { CoffeeView } from './api.js';
import { attributeRows, formatStatus, UNKNOWN } from './coffee-text.js';
import { el } from './dom.js';
import { formatDateTime, parseTime } from './format.js';
import { sameCoffee } from './state.js';

/** Puts the photo at `photoUrl` into `img`: locally its src, in AWS a presigned link fetched first. */
export type ShowPhoto = (img: HTMLImageElement, photoUrl: string) => void;

export interface CoffeeListOptions {
  showPhoto: ShowPhoto;
  /** What an empty list says; only the local stack has Brew buttons to point at. */
  emptyText: string;
}

export class CoffeeList {
  private readonly items = new Map<string, { coffee: CoffeeView; li: HTMLLIElement }>();

  constructor(
    private readonly list: HTMLElement,
    private readonly options: CoffeeListOptions,
  ) {}

  render(coffees: readonly CoffeeView[]): void {
    const next = new Map<string, { coffee: CoffeeView; li: HTMLLIElement }>();
    for (const coffee of coffees) {
      const kept = this.items.get(coffee.photoKey);
      next.set(
        coffee.photoKey,
        kept !== undefined && sameCoffee(kept.coffee, coffee)
          ? kept
          : { coffee, li: coffeeItem(coffee, this.options.showPhoto) },
      );
    }
    this.items.clear();
    for (const [key, item] of next) this.items.set(key, item);
    if (coffees.length === 0) {
      this.list.replaceChildren(el('li', { class: 'empty muted', text: this.options.emptyText }));
      return;
    }
    this.list.replaceChildren(...[...next.values()].map((item) => item.li));
  }
}

function coffeeItem(coffee: CoffeeView, showPhoto: ShowPhoto): HTMLLIElement {
  const capturedMs = parseTime(coffee.capturedAt);
  const when = capturedMs ?? parseTime(coffee.analyzedAt);
  const whenText = when === null ? 'time unknown' : formatDateTime(when);
  return el('li', { class: 'coffee card', attrs: { 'data-photo-key': coffee.photoKey } }, [
    photo(coffee, showPhoto),
    el('div', { class: 'coffee-body' }, [
      el('div', { class: 'coffee-head' }, [
        el('span', { class: 'device-id', text: coffee.deviceId }),
        el('span', { class: `status status-${coffee.status}`, text: formatStatus(coffee) }),
      ]),
      el('div', { class: 'small muted' }, [
        el('time', {
          text: capturedMs === null ? `analysed ${whenText}` : whenText,
          attrs: { datetime: coffee.capturedAt ?? coffee.analyzedAt },
        }),
        ` · ${coffee.analyzer ?? 'no analyzer'}`,
      ]),
      el(
        'dl',
        { class: 'attributes' },
        attributeRows(coffee).flatMap(({ label, text }) => [
          el('dt', { text: label }),
          el('dd', { class: text === UNKNOWN ? 'unknown' : '', text }),
        ]),
      ),
    ]),
  ]);
}

function photo(coffee: CoffeeView, showPhoto: ShowPhoto): HTMLElement {
  if (coffee.photoUrl === null) {
    return el('div', { class: 'photo photo-deleted', text: 'photo deleted' });
  }
  const img = el('img', {
    class: 'photo',
    attrs: {
      loading: 'lazy',
      decoding: 'async',
      width: '160',
      height: '120',
      alt: `Coffee photo from ${coffee.deviceId}`,
    },
  });
  showPhoto(img, coffee.photoUrl);
  return img;
}
