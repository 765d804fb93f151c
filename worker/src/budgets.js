// The LinkedIn throttle budget, kept per LinkedIn *application* (seed 004: the
// limits are an "Application maximum"), in a Durable Object (binding
// SYNC_BUDGETS, class SyncBudgets) so that two syncs cannot both read the same
// remaining budget and spend it twice. A sync leases the budget (one lease at a
// time per application; a second sync meanwhile is refused with 409 and tries
// again), runs, and returns the spent budget with the lease. A lease lapses after
// LEASE_MS, so a crashed sync does not block the application.
//
// The application is the account's OAuth client (`credentials.client_id`, the
// 2-legged token's app), else `context.application_id`; an account that names
// neither keeps a budget of its own. Keys are per tenant: a tenant never waits on,
// or learns of, another tenant's syncs.
import { DurableObject } from 'cloudflare:workers';
import { HttpError } from './http.js';

const LEASE_MS = 5 * 60 * 1000;

/** The budget scope of an account: its LinkedIn application, or the account. */
export function budgetScope(tenant, account) {
  const app = account?.credentials?.client_id ?? account?.context?.application_id;
  return app ? `${tenant}\napp:${app}` : `${tenant}\naccount:${account?.id}`;
}

export function budgetStub(env, scope) {
  return env.SYNC_BUDGETS.get(env.SYNC_BUDGETS.idFromName(scope));
}

export class SyncBudgets extends DurableObject {
  /** `{ lease, budget }`, or `{ busy: until_ms }` while another sync holds it. No await: atomic. */
  lease() {
    const kv = this.ctx.storage.kv;
    const held = kv.get('lease');
    if (held && held.expires > Date.now()) return { busy: held.expires };
    const lease = crypto.randomUUID();
    kv.put('lease', { id: lease, expires: Date.now() + LEASE_MS });
    return { lease, budget: kv.get('budget') ?? null };
  }

  /** Stores the budget a sync spent and ends its lease (a lapsed lease stores nothing). */
  release(lease, budget) {
    const kv = this.ctx.storage.kv;
    if (kv.get('lease')?.id !== lease) return false;
    if (budget) kv.put('budget', budget);
    kv.delete('lease');
    return true;
  }

  /** The stored budget (tests, the admin page). */
  budget() {
    return this.ctx.storage.kv.get('budget') ?? null;
  }

  /** Replaces the stored budget (tests). */
  setBudget(budget) {
    this.ctx.storage.kv.put('budget', budget);
  }
}

/** Runs `sync(budget)` under the application's lease; stores what it returns as `report.budget`. */
export async function withBudget(env, scope, sync) {
  const stub = budgetStub(env, scope);
  const got = await stub.lease();
  if (got.busy) {
    throw new HttpError(409, 'sync_in_progress', 'another sync on this LinkedIn application is running; try again when it ends', [
      { code: 'sync_in_progress', message: 'one sync per application at a time keeps its throttle budget exact', meta: { retry_at: new Date(got.busy).toISOString() } },
    ]);
  }
  let report;
  try {
    report = await sync(got.budget ?? undefined);
  } finally {
    await stub.release(got.lease, report?.budget ?? null);
  }
  return report;
}
