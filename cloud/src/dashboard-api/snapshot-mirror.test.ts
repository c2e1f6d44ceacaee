import { describe, expectTypeOf, it } from 'vitest';
import type * as Page from '../../../local/web/src/api.js';
import type * as Aws from './snapshot-types.js';

// The page declares the wire types itself; these fail to type-check (npm run typecheck) the moment
// it drifts from what the AWS API serves.
describe('the AWS dashboard API’s snapshot', () => {
  it('is what the page reads, field for field', () => {
    expectTypeOf<Aws.DashboardSnapshot>().toExtend<Page.DashboardSnapshot>();
    expectTypeOf<Page.DashboardSnapshot>().toExtend<Aws.DashboardSnapshot>();
  });
});

describe('the AWS dashboard API’s photo link', () => {
  it('is what the page reads', () => {
    expectTypeOf<Aws.PhotoLink>().toEqualTypeOf<Page.PhotoLink>();
  });
});
