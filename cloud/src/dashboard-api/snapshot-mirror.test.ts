import { describe, expectTypeOf, it } from 'vitest';
import type * as Local from '../../../local/src/dashboard/api-types.js';
import type * as Page from '../../../local/web/src/api.js';
import type * as Aws from './snapshot-types.js';

// The AWS API declares the snapshot itself (the cloud workspace cannot depend on local); this check
// fails to type-check (npm run typecheck) the moment the two shapes drift apart.
describe('the AWS dashboard API’s snapshot', () => {
  it('is the local dashboard’s snapshot, field for field', () => {
    expectTypeOf<Aws.DashboardSnapshot>().toExtend<Local.DashboardSnapshot>();
    expectTypeOf<Local.DashboardSnapshot>().toExtend<Aws.DashboardSnapshot>();
  });
});

describe('the AWS dashboard API’s photo link', () => {
  it('is what the page reads', () => {
    expectTypeOf<Aws.PhotoLink>().toEqualTypeOf<Page.PhotoLink>();
  });
});
