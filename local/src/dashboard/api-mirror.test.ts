import { describe, expectTypeOf, it } from 'vitest';
import type * as Page from '../../web/src/api.js';
import type * as Server from './api-types.js';

// The page declares the wire types itself (it cannot import the cloud workspace in the browser);
// these checks fail to type-check (npm run typecheck) the moment the two drift apart.
describe('the page’s copy of the dashboard API types', () => {
  it('agrees with the server’s snapshot', () => {
    expectTypeOf<Server.DashboardSnapshot>().toExtend<Page.DashboardSnapshot>();
    expectTypeOf<Page.DashboardSnapshot>().toExtend<Server.DashboardSnapshot>();
  });

  it('agrees with every live event', () => {
    expectTypeOf<Server.DashboardEvents>().toExtend<Page.DashboardEvents>();
    expectTypeOf<Page.DashboardEvents>().toExtend<Server.DashboardEvents>();
    expectTypeOf<Server.DashboardEventName>().toEqualTypeOf<Page.DashboardEventName>();
  });
});
